"""A person's requests (erase, export) and how long each kind of record is kept."""
