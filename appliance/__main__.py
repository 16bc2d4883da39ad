"""`python -m appliance` runs the doorstep command."""

from appliance.cli import main

main()
