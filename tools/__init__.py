"""Developer tools that are not shipped: `make docs` (screenshots.py)."""
