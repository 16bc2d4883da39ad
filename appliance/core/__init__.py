"""The ground floor: the clock, the config file, events, opening hours, threads."""
