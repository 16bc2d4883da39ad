"""The program: the command line and the two roles wired from the parts.

``doorstep agent`` (appliance/ + sensors/: the single writer, the broker link,
housekeeping) and ``doorstep web`` (kiosk/, served by waitress) are built here, as is
``doorstep demo`` (both in one process with simulated hardware). It is the top floor of
the house: it imports appliance/, sensors/ and kiosk/, and nothing imports it.
"""
