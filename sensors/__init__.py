"""Hardware edges: GPIO and serial devices that turn signals into events.

Everything that imports gpiozero or pyserial lives here. A sensor gets a ``submit`` (a
callable taking an appliance event) and a clock; it never touches the database.
"""
