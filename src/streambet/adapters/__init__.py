"""Adapters: the outside world (database, storage, event bus, queue) behind small ports."""
