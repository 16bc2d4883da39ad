"""`python -m doorstep` runs the doorstep command."""

from doorstep.cli import main

main()
