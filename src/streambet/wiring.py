"""The per-application object graph: settings, the adapters built from them, and the typed
ports and policies each use case is handed.

Built by `create_app`, by the worker and by the CLI; nothing here runs at import time, and
the heavy or networked adapters (storage, events, queue, engines) are built on first use.
Use cases never see this object: routes, the worker and the CLI pass each one what it
uses (a unit-of-work factory, storage, the queue, a policy, ...).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from functools import cached_property
from typing import TYPE_CHECKING, Any, cast

from flask import current_app
from sqlalchemy import Connection

from streambet.adapters.db import Database, create_database
from streambet.config import Settings
from streambet.metrics import Metrics
from streambet.services.unit_of_work import UnitOfWork

if TYPE_CHECKING:
    from streambet.adapters.engines import EnginePool
    from streambet.adapters.events import EventBus
    from streambet.adapters.queue import JobQueue
    from streambet.adapters.storage import Storage
    from streambet.adapters.token_box import TokenBox
    from streambet.adapters.twitch_helix import HelixClient
    from streambet.domain.criteria import LabelVocabulary
    from streambet.domain.markets import FootagePolicy
    from streambet.services.accounts import AccountPolicy, Mailer
    from streambet.services.analyses import DbTimelineSource, UploadPolicy
    from streambet.services.analysis_runs import Runner, RunPolicy
    from streambet.services.live_runs import LiveRunner
    from streambet.services.live_settlement import LiveSettlementPolicy
    from streambet.services.payment_policy import Providers
    from streambet.services.settlement import SettlementPolicy
    from streambet.services.streams import SourceChecks
    from streambet.services.wager_batches import WagerBatcher
    from streambet.vision.backends.local.engine import LocalEngine


@dataclass
class Wiring:
    settings: Settings
    db: Database
    metrics: Metrics = field(default_factory=Metrics)
    # things built on this wiring outside it (the WebSocket hub), closed first by close()
    _closers: list[Callable[[], None]] = field(default_factory=list)
    _live_engines: dict[tuple[str, ...], LocalEngine] = field(default_factory=dict)
    _live_lock: threading.Lock = field(default_factory=threading.Lock)

    def on_close(self, close: Callable[[], None]) -> None:
        self._closers.append(close)

    def uow(self) -> UnitOfWork:
        """A unit of work for a use case that writes; what it emits reaches the event bus
        once it commits."""
        return UnitOfWork(self.db.write_sessions, self._publish)

    def read_uow(self) -> UnitOfWork:
        """A unit of work for a use case that only reads: it never takes SQLite's write
        lock, and on PostgreSQL it runs without a transaction (adapters/db.py), so it must
        not write: each statement would commit by itself."""
        return UnitOfWork(self.db.read_sessions)

    def _publish(self, topic: str, payload: dict[str, Any]) -> None:
        self.events.publish(topic, payload)  # the bus is built on the first event

    def read_connection(self) -> Connection:
        """A bare pooled connection for a one-statement read on a hot path (every request's
        token check): no ORM session to build and tear down. Use it as a context manager."""
        return self.db.one_statement_read()

    @cached_property
    def storage(self) -> Storage:
        from streambet.adapters.storage import LocalStorage, S3Storage

        s = self.settings
        if s.storage_backend == "s3":
            return S3Storage(
                s.s3_bucket, s.s3_prefix, s.s3_endpoint_url, temp_dir=s.data_dir / "tmp"
            )
        return LocalStorage(s.resolved_storage_dir)

    @cached_property
    def events(self) -> EventBus:
        from streambet.adapters.events import MemoryEventBus, RedisEventBus

        if self.settings.events_backend == "redis":
            return RedisEventBus(self.settings.redis_url)
        return MemoryEventBus()

    @cached_property
    def engines(self) -> EnginePool:
        from streambet.adapters.engines import EnginePool

        return EnginePool(self.settings)

    @cached_property
    def second_engines(self) -> EnginePool | None:
        """Agreement mode's second opinion (STREAMBET_SECOND_OPINION_BACKEND); None: off."""
        from streambet.adapters.engines import EnginePool

        name = self.settings.second_opinion_backend
        return EnginePool(self.settings, name) if name else None

    @cached_property
    def queue(self) -> JobQueue:
        """The job queue; streambet.worker.register_tasks puts the tasks on it."""
        from streambet.adapters.queue import JobQueue, make_huey

        s = self.settings
        huey = make_huey(s.queue_backend, s.queue_name, redis_url=s.redis_url, data_dir=s.data_dir)
        return JobQueue(huey)

    @cached_property
    def vocabulary(self) -> LabelVocabulary:
        """Market criteria are validated against the labels the engines can emit."""
        from streambet.vision.pipeline.taxonomy import get_taxonomy

        return get_taxonomy()

    @cached_property
    def timelines(self) -> DbTimelineSource:
        from streambet.services.analyses import DbTimelineSource

        return DbTimelineSource(self.read_uow)

    @cached_property
    def payments(self) -> Providers:
        """The enabled payment providers (STREAMBET_PAYMENTS), their credentials handed to
        their adapters and nowhere else."""
        from streambet.adapters.payments.nowpayments import NowPaymentsConfig
        from streambet.adapters.payments.ports import PayoutProvider
        from streambet.adapters.payments.registry import ProviderConfigs, build_deposit_provider
        from streambet.adapters.payments.stripe_provider import StripeConfig
        from streambet.services.payment_policy import PaymentPolicy, Providers

        s = self.settings
        configs = ProviderConfigs(
            play_journal=s.data_dir / "payments" / "play-provider.jsonl",
            stripe=StripeConfig(
                s.stripe_secret_key.get_secret_value(),
                s.stripe_webhook_secret.get_secret_value(),
                s.stripe_api_base,
            ),
            nowpayments=NowPaymentsConfig(
                s.nowpayments_api_key.get_secret_value(),
                s.nowpayments_ipn_secret.get_secret_value(),
                s.nowpayments_api_base,
            ),
        )
        deposits = {name: build_deposit_provider(name, configs) for name in s.payment_providers}
        # The first enabled provider that pays out (config.py checks there is one).
        payouts = cast(PayoutProvider, deposits[s.payout_provider])
        return Providers(
            deposits, payouts, PaymentPolicy(s.payments_currency, s.withdrawal_approval_threshold)
        )

    @cached_property
    def settlement_policy(self) -> SettlementPolicy:
        from streambet.domain.settlement import Bands
        from streambet.services.settlement import SettlementPolicy
        from streambet.vision.pipeline.taxonomy import get_taxonomy

        s = self.settings
        return SettlementPolicy(
            Bands(s.auto_settle_confidence, s.review_floor_confidence),
            timedelta(seconds=s.dispute_window_seconds),
            require_agreement=s.require_agreement,
            client_labels_settle=not s.is_production,
            # the local engine's precision is measured (bench/accuracy.py), per label
            settleable={"local": get_taxonomy().settleable},
        )

    @cached_property
    def live_settlement_policy(self) -> LiveSettlementPolicy:
        from streambet.services.live_settlement import LiveSettlementPolicy

        return LiveSettlementPolicy(
            self.settlement_policy, round(self.settings.live_settle_timeout_seconds * 1000)
        )

    @cached_property
    def twitch_helix(self) -> HelixClient | None:
        """None unless STREAMBET_TWITCH_CLIENT_ID is set: no stream gets mirrored."""
        from streambet.adapters.twitch_helix import HelixClient

        s = self.settings
        return HelixClient(s.twitch_helix_url, s.twitch_client_id) if s.twitch_client_id else None

    @cached_property
    def token_box(self) -> TokenBox:
        from streambet.adapters.token_box import TokenBox

        return TokenBox(self.settings.secret_key)

    @cached_property
    def footage_policy(self) -> FootagePolicy:
        """Markets on footage the engine has already looked at: refused, or disclosed."""
        from streambet.domain.markets import FootagePolicy

        return FootagePolicy(self.settings.markets_on_analysed_footage)

    @cached_property
    def account_policy(self) -> AccountPolicy:
        from streambet.domain.throttle import Bucket
        from streambet.services.accounts import AccountPolicy
        from streambet.services.throttle import LoginThrottle

        s = self.settings
        return AccountPolicy(
            s.signup_credit,
            timedelta(hours=s.token_ttl_hours),
            LoginThrottle(
                Bucket(s.login_account_failures, s.login_account_window_seconds),
                Bucket(s.login_address_attempts, s.login_address_window_seconds),
            ),
        )

    @cached_property
    def mailer(self) -> Mailer:
        from streambet.adapters.mail import LogMailer, RecordingMailer

        return LogMailer() if self.settings.mail_backend == "log" else RecordingMailer()

    @cached_property
    def upload_policy(self) -> UploadPolicy:
        from streambet.services.analyses import UploadPolicy

        s = self.settings
        return UploadPolicy(
            max_upload_mb=s.max_upload_mb,
            max_video_seconds=s.max_video_seconds,
            max_video_pixels=s.max_video_pixels,
            scripted_engine="fake" in (s.analysis_backend, s.second_opinion_backend),
        )

    @cached_property
    def run_policy(self) -> RunPolicy:
        from streambet.services.analysis_runs import RunPolicy

        s = self.settings
        return RunPolicy(
            lease_seconds=s.job_lease_seconds,
            max_attempts=s.job_max_attempts,
            keep_uploads=s.keep_uploads,
            sample_fps=s.sample_fps,
            max_video_seconds=s.max_video_seconds,
            max_video_pixels=s.max_video_pixels,
            evidence_max_frames=s.evidence_max_frames,
        )

    @cached_property
    def runner(self) -> Runner:
        """What running analysis jobs works with (services/analysis_runs.py)."""
        from streambet.services.analysis_runs import Runner

        return Runner(
            write=self.uow,
            read=self.read_uow,
            storage=self.storage,
            engines=self.engines,
            second_engines=self.second_engines,
            queue=self.queue,
            publish=self._publish,
            metrics=self.metrics,
            policy=self.run_policy,
        )

    @cached_property
    def source_checks(self) -> SourceChecks:
        """Where streams may point (production refuses this machine's networks)."""
        from streambet.adapters.source_checks import real_path, resolve_host
        from streambet.domain.streams import UrlPolicy
        from streambet.services.streams import SourceChecks

        s = self.settings
        policy = UrlPolicy(s.is_production, str(s.resolved_media_dir), s.live_allow_loopback)
        return SourceChecks(policy, resolve_host, real_path)

    def live_engine(self, detectors: tuple[str, ...] | None = None) -> LocalEngine:
        """The local engine live streams run on, one per set of detectors in a process, its
        models shared by every stream that uses it."""
        from streambet.vision.backends.local.engine import LocalEngine
        from streambet.vision.pipeline.detectors import DEFAULT_DETECTORS

        key = detectors or DEFAULT_DETECTORS
        with self._live_lock:
            engine = self._live_engines.get(key)
            if engine is None:
                engine = LocalEngine(self.settings.resolved_model_dir, key)
                self._live_engines[key] = engine
            return engine

    @cached_property
    def live_runner(self) -> LiveRunner:
        """What live jobs work with (services/live_runs.py)."""
        from streambet.services.live_runs import LivePolicy, LiveRunner

        s = self.settings
        return LiveRunner(
            write=self.uow,
            read=self.read_uow,
            storage=self.storage,
            publish=self._publish,
            engine=self.live_engine,
            policy=LivePolicy(
                lease_seconds=s.job_lease_seconds,
                sample_fps=s.sample_fps,
                open_timeout=s.live_open_timeout_seconds,
                read_timeout=s.live_read_timeout_seconds,
                give_up_seconds=s.live_give_up_seconds,
                retention_hours=s.live_retention_hours,
            ),
            vet_host=self.vet_live_host if s.is_production else None,
        )

    def vet_live_host(self, host: str) -> list[str]:
        """A live job's check of a host it is about to connect to (production)."""
        from streambet.domain.errors import ValidationFailed
        from streambet.services.streams import connect_addresses
        from streambet.vision.live.errors import SourceRefused

        try:
            return connect_addresses(host, self.source_checks)
        except ValidationFailed as exc:
            raise SourceRefused(str(exc)) from None

    @cached_property
    def wagers(self) -> WagerBatcher:
        """Places wagers a batch per commit (services/wager_batches.py)."""
        from streambet.services.wager_batches import WagerBatcher

        on_postgres = self.db.engine.dialect.name == "postgresql"
        return WagerBatcher(self.uow, checks_tokens=on_postgres)

    def close(self) -> None:
        while self._closers:
            self._closers.pop()()
        if "wagers" in self.__dict__:
            self.wagers.close()
        if "events" in self.__dict__:
            self.events.close()
        self.db.dispose()


def build_wiring(settings: Settings) -> Wiring:
    from streambet.services.analyses import status_counts

    settings.data_dir.mkdir(parents=True, exist_ok=True)
    w = Wiring(settings=settings, db=create_database(settings.resolved_database_url))
    w.metrics.add_scraped(lambda: w.queue.depth(), lambda: status_counts(w.read_uow()))
    return w


def wiring() -> Wiring:
    """The wiring of the application handling the current request."""
    w: Wiring = current_app.extensions["streambet"]
    return w
