"""The database and what is kept in it for everyone: state, settings, audit, the change watcher."""
