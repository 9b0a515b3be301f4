"""One transaction per use case (cosmicpython's unit of work), and the events it announces.

A use case receives an unentered unit of work (or a factory for one, when it runs several
transactions), enters it, and calls `commit()` once. Helpers and repositories receive the
session and never commit. Leaving the block without committing rolls everything back, so a
failed use case leaves no half-written rows.

Events are collected with `emit(topic, payload)` while the use case works, and published
when the unit of work ends, if (and as far as) it committed: a rollback publishes nothing,
and nobody hears of a change that did not happen. Publishing after the block, not inside
`commit()`, lets a use case answer its caller first (the wager batches do). A bus that
fails to publish loses the news, not the committed change (the database row stays the
source of truth).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from types import TracebackType
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from streambet.services.events import Publish, no_publish

log = logging.getLogger(__name__)


class UnitOfWork:
    def __init__(self, sessions: sessionmaker[Session], publish: Publish = no_publish) -> None:
        self._sessions = sessions
        self._publish = publish
        self._session: Session | None = None
        self._events: list[tuple[str, dict[str, Any]]] = []  # emitted, not yet committed
        self._committed: list[tuple[str, dict[str, Any]]] = []

    @property
    def session(self) -> Session:
        if self._session is None:
            raise RuntimeError("unit of work used outside its `with` block")
        return self._session

    @property
    def listening(self) -> bool:
        """False when nobody will hear the events: building their payloads can be skipped."""
        return self._publish is not no_publish

    def __enter__(self) -> UnitOfWork:
        if self._session is not None:
            raise RuntimeError("unit of work entered twice")
        self._session = self._sessions()
        self._events, self._committed = [], []
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        session = self.session
        committed, self._events, self._committed = self._committed, [], []
        try:
            session.rollback()
        finally:
            session.close()
            self._session = None
        for topic, payload in committed:
            try:
                self._publish(topic, payload)
            except Exception:
                log.exception("could not publish an event", extra={"topic": topic})

    def emit(self, topic: str, payload: dict[str, Any]) -> None:
        """Announces `payload` on `topic` once the transaction has committed."""
        self._events.append((topic, payload))

    def commit(self) -> None:
        self.session.commit()
        self._committed += self._events
        self._events = []


UnitOfWorkFactory = Callable[[], UnitOfWork]
