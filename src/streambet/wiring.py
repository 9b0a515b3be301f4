"""The per-application object graph: settings plus the adapters built from them.

Built by `create_app` and by the worker; nothing here runs at import time, and the heavy
or networked adapters (storage, events, queue) are built on first use.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from functools import cached_property
from typing import TYPE_CHECKING

from flask import current_app
from sqlalchemy import Connection

from streambet.adapters.db import Database, create_database
from streambet.config import Settings
from streambet.metrics import Metrics
from streambet.services.unit_of_work import UnitOfWork

if TYPE_CHECKING:
    from streambet.adapters.engines import EnginePool
    from streambet.adapters.events import EventBus
    from streambet.adapters.payouts import PayoutProvider
    from streambet.adapters.storage import Storage
    from streambet.domain.criteria import LabelVocabulary
    from streambet.jobs import JobQueue
    from streambet.services.settlement import SettlementPolicy, TimelineSource
    from streambet.services.sweeper import SweepReport
    from streambet.services.wager_batches import WagerBatcher


@dataclass
class Wiring:
    settings: Settings
    db: Database
    metrics: Metrics = field(default_factory=Metrics)
    # things built on this wiring outside it (the WebSocket hub), closed first by close()
    _closers: list[Callable[[], None]] = field(default_factory=list)

    def on_close(self, close: Callable[[], None]) -> None:
        self._closers.append(close)

    def uow(self) -> UnitOfWork:
        """A unit of work for a use case that writes."""
        return UnitOfWork(self.db.write_sessions)

    def read_uow(self) -> UnitOfWork:
        """A unit of work for a use case that only reads (never takes SQLite's write lock)."""
        return UnitOfWork(self.db.read_sessions)

    def read_connection(self) -> Connection:
        """A bare pooled connection for a one-statement read on a hot path (every request's
        token check): no ORM session to build and tear down. Use it as a context manager."""
        return self.db.engine.connect()

    @cached_property
    def storage(self) -> Storage:
        from streambet.adapters.storage import build_storage

        return build_storage(self.settings)

    @cached_property
    def events(self) -> EventBus:
        from streambet.adapters.events import build_events

        return build_events(self.settings)

    @cached_property
    def engines(self) -> EnginePool:
        from streambet.adapters.engines import EnginePool

        return EnginePool(self.settings)

    @cached_property
    def second_engines(self) -> EnginePool:
        """Agreement mode's second opinion (STREAMBET_SECOND_OPINION_BACKEND)."""
        from streambet.adapters.engines import EnginePool

        return EnginePool(self.settings, self.settings.second_opinion_backend)

    @cached_property
    def queue(self) -> JobQueue:
        from streambet.jobs import JobQueue

        return JobQueue(self)

    @cached_property
    def vocabulary(self) -> LabelVocabulary:
        """Market criteria are validated against the labels the engines can emit."""
        from streambet.vision.taxonomy import get_taxonomy

        return get_taxonomy()

    @cached_property
    def timelines(self) -> TimelineSource:
        from streambet.services.analyses import DbTimelineSource

        return DbTimelineSource(self)

    @cached_property
    def payout_provider(self) -> PayoutProvider:
        from streambet.adapters.payouts import MockPayoutProvider

        return MockPayoutProvider(self.settings.data_dir / "payouts" / "mock-provider.jsonl")

    @cached_property
    def settlement_policy(self) -> SettlementPolicy:
        from streambet.domain.settlement import Bands
        from streambet.services.settlement import SettlementPolicy

        s = self.settings
        return SettlementPolicy(
            Bands(s.auto_settle_confidence, s.review_floor_confidence),
            timedelta(seconds=s.dispute_window_seconds),
            require_agreement=s.require_agreement,
        )

    def sweep_betting(self) -> SweepReport:
        """The periodic betting job: lock due markets, settle from evidence, pay out."""
        from streambet.services.sweeper import sweep

        return sweep(
            self.uow,
            self.read_uow,
            self.timelines,
            self.settlement_policy,
            self.payout_provider,
            publish=self.events.publish,
        )

    @cached_property
    def wagers(self) -> WagerBatcher:
        """Places wagers a batch per commit (services/wager_batches.py)."""
        from streambet.services.wager_batches import WagerBatcher

        return WagerBatcher(self.uow, self.events.publish)

    def close(self) -> None:
        while self._closers:
            self._closers.pop()()
        if "wagers" in self.__dict__:
            self.wagers.close()
        if "events" in self.__dict__:
            self.events.close()
        self.db.dispose()


def build_wiring(settings: Settings) -> Wiring:
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    w = Wiring(settings=settings, db=create_database(settings.resolved_database_url))
    from streambet.services.analyses import status_counts

    w.metrics.add_scraped(lambda: w.queue.depth(), lambda: status_counts(w))
    return w


def wiring() -> Wiring:
    """The wiring of the application handling the current request."""
    w: Wiring = current_app.extensions["streambet"]
    return w
