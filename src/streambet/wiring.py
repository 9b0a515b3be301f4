"""The per-application object graph: settings plus the adapters built from them.

Built by `create_app` and by the worker; nothing here runs at import time.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app

from streambet.adapters.db import Database, create_database
from streambet.config import Settings
from streambet.services.unit_of_work import UnitOfWork


@dataclass
class Wiring:
    settings: Settings
    db: Database

    def uow(self) -> UnitOfWork:
        """A unit of work for a use case that writes."""
        return UnitOfWork(self.db.write_sessions)

    def read_uow(self) -> UnitOfWork:
        """A unit of work for a use case that only reads (never takes SQLite's write lock)."""
        return UnitOfWork(self.db.read_sessions)

    def close(self) -> None:
        self.db.dispose()


def build_wiring(settings: Settings) -> Wiring:
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    return Wiring(settings=settings, db=create_database(settings.resolved_database_url))


def wiring() -> Wiring:
    """The wiring of the application handling the current request."""
    w: Wiring = current_app.extensions["streambet"]
    return w
