"""Doorstep: the community-owned front-door appliance (the core package)."""

__version__ = "0.1.0"
