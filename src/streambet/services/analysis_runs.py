"""Running an analysis job: the task body and the sweeper's recoveries.

A run claims the job's row (a conditional update, so of any number of deliveries exactly one
wins), keeps renewing a lease while the engine works, pushes progress through the event bus,
and records the outcome only while it still holds its claim. A run whose process died stops
renewing; the sweeper then queues the job again, so it completes exactly once.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Protocol, cast

from sqlalchemy import CursorResult, select, update

from streambet.adapters.orm.analyses import Analysis
from streambet.adapters.storage import Storage
from streambet.domain.analyses import AnalysisStatus, check_transition
from streambet.services.analyses import (
    RUN_TASK,
    TOPIC,
    JobMetrics,
    TaskQueue,
    discard_frames,
    progress_event,
    utcnow,
)
from streambet.services.events import Publish
from streambet.services.evidence import EvidenceFailed, store_frames
from streambet.services.unit_of_work import UnitOfWork, UnitOfWorkFactory
from streambet.timeline import Timeline
from streambet.vision import errors as video_errors
from streambet.vision.backends import (
    AggregateBy,
    AnalysisBackend,
    AnalysisOptions,
    Features,
    ScriptedLabel,
)

log = logging.getLogger(__name__)

QUEUED, RUNNING = AnalysisStatus.QUEUED, AnalysisStatus.RUNNING
SUCCEEDED, FAILED, CANCELED = (
    AnalysisStatus.SUCCEEDED,
    AnalysisStatus.FAILED,
    AnalysisStatus.CANCELED,
)


class Engines(Protocol):
    """Warm analysis backends, lent to one job at a time (streambet.adapters.engines)."""

    def borrow(self) -> contextlib.AbstractContextManager[AnalysisBackend]: ...


@dataclass(frozen=True)
class RunPolicy:
    lease_seconds: int = 30  # a running job whose lease lapses is queued again
    max_attempts: int = 3
    keep_uploads: bool = False  # keep the video after a successful run (for playback)
    sample_fps: float = 2.0
    max_video_seconds: int = 6 * 3600
    max_video_pixels: int = 4096 * 2160
    evidence_max_frames: int = 600


@dataclass(frozen=True)
class Runner:
    """What running analysis jobs works with; built once per process by the wiring."""

    write: UnitOfWorkFactory
    read: UnitOfWorkFactory
    storage: Storage
    engines: Engines
    second_engines: Engines | None  # agreement mode's second opinion; None: off
    queue: TaskQueue
    publish: Publish  # progress ticks, which change no row on their own (see _Progress)
    metrics: JobMetrics
    policy: RunPolicy


# How often a running job looks at its row for a cancel request.
CANCEL_POLL_SECONDS = 0.5


@dataclass(frozen=True)
class _Claim:
    attempt: int
    user_id: int
    storage_key: str
    options: dict[str, Any]


def _claim(r: Runner, analysis_id: str) -> _Claim | None:
    """Takes the job if it is queued (or its runner's lease lapsed); None if someone else
    holds it, it is finished, or it has used up its attempts."""
    now = utcnow()
    with r.write() as uow:
        row = uow.session.get(Analysis, analysis_id)
        if row is None or AnalysisStatus(row.status).finished:
            return None
        lapsed = row.status == RUNNING and (row.lease_until is None or row.lease_until < now)
        if row.status != QUEUED and not lapsed:
            return None
        if row.cancel_requested:
            _finish_row(row, CANCELED, "canceled", "Canceled before it started.")
            _discard_stored(r, row, uow)
            return None
        if row.attempts >= r.policy.max_attempts or row.storage_key is None:
            _finish_row(
                row,
                FAILED,
                "too_many_attempts",
                f"The analysis was interrupted {row.attempts} times; giving up.",
            )
            _discard_stored(r, row, uow)
            return None
        attempt = row.attempts + 1
        # Conditional update: of two runners racing for the row, exactly one matches.
        taken = _rowcount(
            uow.session.execute(
                update(Analysis)
                .where(
                    Analysis.id == analysis_id,
                    Analysis.attempts == row.attempts,
                    Analysis.status == row.status,
                    Analysis.cancel_requested.is_(False),
                )
                .values(
                    status=RUNNING,
                    attempts=attempt,
                    lease_until=now + timedelta(seconds=r.policy.lease_seconds),
                    started_at=row.started_at or now,
                )
                .execution_options(synchronize_session=False)
            )
        )
        if taken != 1:
            return None
        claim = _Claim(attempt, row.user_id, row.storage_key, dict(row.options or {}))
        uow.emit(
            TOPIC, {"id": analysis_id, "user_id": row.user_id, "status": RUNNING, "progress": 0}
        )
        uow.commit()
    return claim


def _discard_stored(r: Runner, row: Analysis, uow: UnitOfWork) -> None:
    """Commits the row of a job that ends without a result, then deletes what it stored."""
    key, row.storage_key = row.storage_key, None
    frames, row.evidence_frames = row.evidence_frames or [], None
    uow.commit()
    if key:
        r.storage.delete(key)
    discard_frames(r.storage, row.id, frames)


def _rowcount(result: object) -> int:
    """Rows matched by an UPDATE (the claim checks depend on it)."""
    assert isinstance(result, CursorResult)
    return int(result.rowcount)


def _finish_row(
    row: Analysis, status: AnalysisStatus, code: str | None, message: str | None
) -> None:
    row.status = check_transition(row.status, status).value
    row.finished_at = utcnow()
    row.lease_until = None
    row.error_code, row.error_message = code, message


class _Lease(threading.Thread):
    """Renews the claim while the engine works and turns a cancel request (or a consumer
    shutting down) into the engine's cancel flag."""

    def __init__(
        self, r: Runner, analysis_id: str, attempt: int, interrupt: threading.Event | None
    ) -> None:
        super().__init__(name=f"lease-{analysis_id[:8]}", daemon=True)
        self.r, self.analysis_id, self.attempt = r, analysis_id, attempt
        self.interrupt = interrupt
        self._flag = threading.Event()
        self.user_canceled = False
        self.lost = False
        self._done = threading.Event()

    def is_set(self) -> bool:
        """The engine's cancel flag: a cancel request, a lost claim, or a consumer stopping."""
        return self._flag.is_set() or (self.interrupt is not None and self.interrupt.is_set())

    def run(self) -> None:
        lease = self.r.policy.lease_seconds
        renew_every = lease / 3
        last_renew = time.monotonic()
        while not self._done.wait(CANCEL_POLL_SECONDS):
            try:
                if time.monotonic() - last_renew >= renew_every:
                    self._renew(lease)
                    last_renew = time.monotonic()
                with self.r.read() as uow:
                    flagged = uow.session.scalar(
                        select(Analysis.cancel_requested).where(Analysis.id == self.analysis_id)
                    )
                if flagged:
                    self.user_canceled = True
                    self._flag.set()
            except Exception:  # a database blip must not kill the run; the next poll retries
                log.warning("lease check failed", exc_info=True)

    def _renew(self, lease: int) -> None:
        with self.r.write() as uow:
            renewed = _rowcount(
                uow.session.execute(
                    update(Analysis)
                    .where(
                        Analysis.id == self.analysis_id,
                        Analysis.attempts == self.attempt,
                        Analysis.status == RUNNING,
                    )
                    .values(lease_until=utcnow() + timedelta(seconds=lease))
                    .execution_options(synchronize_session=False)
                )
            )
            uow.commit()
        if renewed != 1:
            self.lost = True
            self._flag.set()

    def stop(self) -> None:
        self._done.set()
        self.join()


class _Progress:
    """The engine's progress callback: pushes each new percent through the event bus at
    once (a live tick, published as it happens rather than with a commit), and writes it
    to the row at most twice a second."""

    def __init__(self, r: Runner, analysis_id: str, user_id: int, attempt: int) -> None:
        self.r, self.analysis_id, self.user_id, self.attempt = r, analysis_id, user_id, attempt
        self.percent = -1
        self._last_write = 0.0

    def __call__(self, fraction: float) -> None:
        percent = max(0, min(99, int(fraction * 100)))  # 100 only once the result is stored
        if percent <= self.percent:
            return
        self.percent = percent
        self.r.publish(
            TOPIC,
            {
                "id": self.analysis_id,
                "user_id": self.user_id,
                "status": RUNNING,
                "progress": percent,
            },
        )
        if time.monotonic() - self._last_write >= 0.5:
            self._last_write = time.monotonic()
            with self.r.write() as uow:
                uow.session.execute(
                    update(Analysis)
                    .where(Analysis.id == self.analysis_id, Analysis.attempts == self.attempt)
                    .values(progress=percent)
                    .execution_options(synchronize_session=False)
                )
                uow.commit()


def engine_options(policy: RunPolicy, options: Mapping[str, Any]) -> AnalysisOptions:
    """The engine's options from a job's stored options JSON. Switches used to travel in
    its untyped `extra` object (old rows, and `/api/analyze`'s `options` field still send
    them there); they map onto the typed fields here. `rekognition_raw_path` is not taken
    from a job: it names a file on this server, which no request may choose."""
    extra: Mapping[str, Any] = options.get("extra") or {}
    features = {k: bool(extra[k]) for k in ("pose", "audio", "speech") if k in extra}
    return AnalysisOptions(
        sample_fps=float(options.get("sample_fps") or policy.sample_fps),
        min_confidence=float(options.get("min_confidence", 50.0)),
        label_inclusion=tuple(options.get("label_inclusion", ())),
        label_exclusion=tuple(options.get("label_exclusion", ())),
        category_inclusion=tuple(options.get("category_inclusion", ())),
        category_exclusion=tuple(options.get("category_exclusion", ())),
        max_seconds=policy.max_video_seconds,
        max_pixels=policy.max_video_pixels,
        features=Features(**{**features, **options.get("features", {})}),
        job_id=str(extra.get("job_id", "")),
        job_tag=str(extra.get("job_tag", "")),
        # checked by the Rekognition backend, the one that reads it
        aggregate_by=cast(AggregateBy, str(extra.get("aggregate_by", "TIMESTAMPS")).upper()),
        rekognition_attempt=int(extra.get("rekognition_attempt", 0)),
        fake_labels=tuple(
            ScriptedLabel(
                str(item["name"]),
                int(item["start_ms"]),
                int(item["end_ms"]),
                float(item.get("confidence", 90.0)),
            )
            for item in extra.get("fake_labels", ())
        ),
        fake_sleep_ms=int(extra.get("fake_sleep_ms", 0)),
    )


def run(r: Runner, analysis_id: str, interrupt: threading.Event | None = None) -> None:
    """The task body. Safe to call any number of times for one id: it runs only when it can
    claim the job, and records an outcome only while it still holds that claim."""
    claim = _claim(r, analysis_id)
    if claim is None:
        log.info("analysis not claimed", extra={"analysis_id": analysis_id})
        return
    log.info("analysis started", extra={"analysis_id": analysis_id, "attempt": claim.attempt})
    started = time.monotonic()
    lease = _Lease(r, analysis_id, claim.attempt, interrupt)
    lease.start()
    timeline: Timeline | None = None
    second_timeline: Timeline | None = None
    engine_seconds: float | None = None
    evidence = _Evidence([], None)
    outcome: tuple[AnalysisStatus, str | None, str | None]
    try:
        with r.storage.local_path(claim.storage_key) as path:
            progress = _Progress(r, analysis_id, claim.user_id, claim.attempt)
            second = r.second_engines
            # With a second opinion, each engine's progress fills half of the bar.
            share = 0.5 if second else 1.0
            options = engine_options(r.policy, claim.options)
            t0 = time.perf_counter()
            with r.engines.borrow() as backend:
                timeline = backend.analyze(path, options, lambda f: progress(f * share), lease)
            if second is not None:
                with second.borrow() as backend:
                    second_timeline = backend.analyze(
                        path, options, lambda f: progress(0.5 + f * 0.5), lease
                    )
            engine_seconds = time.perf_counter() - t0
            # Before the upload goes: the frames that decided it (timed apart from the engine).
            t0 = time.perf_counter()
            frames = store_frames(
                r.write,
                r.storage,
                analysis_id,
                claim.attempt,
                path,
                timeline,
                lease,
                r.policy.evidence_max_frames,
            )
            evidence = _Evidence(frames, time.perf_counter() - t0)
        outcome = (SUCCEEDED, None, None)
    except EvidenceFailed:
        outcome = (FAILED, "evidence_failed", "The evidence frames could not be stored.")
    except video_errors.AnalysisCanceled:
        if lease.user_canceled:
            outcome = (CANCELED, "canceled", "Canceled while running.")
        else:
            lease.stop()
            _release(r, analysis_id, claim.attempt, lost=lease.lost)
            return
    except video_errors.VideoError as exc:
        outcome = (FAILED, exc.code, exc.message)
    except Exception as exc:
        log.exception("analysis engine failed", extra={"analysis_id": analysis_id})
        outcome = (FAILED, "engine_error", f"The analysis engine failed ({type(exc).__name__}).")
    finally:
        if lease.is_alive():
            lease.stop()
    _record(
        r,
        analysis_id,
        claim,
        outcome,
        (timeline, second_timeline),
        engine_seconds,
        evidence,
        time.monotonic() - started,
    )


@dataclass(frozen=True)
class _Evidence:
    frames: list[int]
    seconds: float | None


def _record(
    r: Runner,
    analysis_id: str,
    claim: _Claim,
    outcome: tuple[AnalysisStatus, str | None, str | None],
    timelines: tuple[Timeline | None, Timeline | None],  # the primary's, the second's
    engine_seconds: float | None,
    evidence: _Evidence,
    seconds: float,
) -> None:
    status, code, message = outcome
    timeline, second_timeline = timelines
    with r.write() as uow:
        row = uow.session.get(Analysis, analysis_id)
        if row is None or row.attempts != claim.attempt or row.status != RUNNING:
            # Frames this run stored stay listed on the row for the claim holder's cleanup.
            log.warning("analysis lost its claim", extra={"analysis_id": analysis_id})
            return
        _finish_row(row, status, code, message)
        key, frames = row.storage_key, list(row.evidence_frames or ())
        if status == SUCCEEDED and timeline is not None:
            row.progress = 100
            row.timeline = timeline.to_dict()
            row.second_timeline = second_timeline.to_dict() if second_timeline else None
            row.evidence_frames, row.evidence_seconds = evidence.frames, evidence.seconds
            frames = sorted(set(frames) - set(evidence.frames))
        else:
            row.evidence_frames = None
        row.engine_seconds = engine_seconds
        # The upload has served its purpose (the original deleted objects after processing),
        # unless the deployment keeps videos for playback.
        if status == SUCCEEDED and r.policy.keep_uploads:
            key = None
        else:
            row.storage_key = None
        uow.emit(TOPIC, progress_event(row))
        uow.commit()
    if key:
        r.storage.delete(key)
    discard_frames(r.storage, analysis_id, frames)
    r.metrics.observe_job(status, seconds)
    log.info(
        "analysis finished",
        extra={
            "analysis_id": analysis_id,
            "status": status,
            "attempt": claim.attempt,
            "engine_seconds": engine_seconds,
            "evidence_seconds": evidence.seconds,
            "evidence_frames": len(evidence.frames),
        },
    )


def _release(r: Runner, analysis_id: str, attempt: int, *, lost: bool) -> None:
    """Hands an interrupted job back to the queue (the consumer is shutting down)."""
    if lost:
        return
    with r.write() as uow:
        released = _rowcount(
            uow.session.execute(
                update(Analysis)
                .where(
                    Analysis.id == analysis_id,
                    Analysis.attempts == attempt,
                    Analysis.status == RUNNING,
                )
                .values(status=QUEUED, lease_until=None, attempts=attempt - 1)
                .execution_options(synchronize_session=False)
            )
        )
        request_id = uow.session.scalar(
            select(Analysis.request_id).where(Analysis.id == analysis_id)
        )
        uow.commit()
    if released == 1:
        r.queue.enqueue(RUN_TASK, analysis_id, request_id=request_id or "")
        log.info("analysis handed back to the queue", extra={"analysis_id": analysis_id})


def requeue_expired(r: Runner) -> list[str]:
    """Jobs whose runner stopped renewing its lease (the process died) go back in the
    queue; of several sweepers, only the one whose update matches re-queues a job."""
    now = utcnow()
    with r.read() as uow:
        candidates = list(
            uow.session.execute(
                select(Analysis.id, Analysis.attempts, Analysis.request_id).where(
                    Analysis.status == RUNNING, Analysis.lease_until < now
                )
            ).all()
        )
    requeued = []
    for analysis_id, attempts, request_id in candidates:
        with r.write() as uow:
            moved = _rowcount(
                uow.session.execute(
                    update(Analysis)
                    .where(
                        Analysis.id == analysis_id,
                        Analysis.attempts == attempts,
                        Analysis.status == RUNNING,
                        Analysis.lease_until < now,
                    )
                    .values(status=QUEUED, lease_until=None)
                    .execution_options(synchronize_session=False)
                )
            )
            uow.commit()
        if moved == 1:
            r.queue.enqueue(RUN_TASK, analysis_id, request_id=request_id)
            requeued.append(analysis_id)
            log.warning("analysis lease lapsed; queued again", extra={"analysis_id": analysis_id})
    return requeued


def requeue_missing(r: Runner, pending: set[str]) -> list[str]:
    """Queued jobs with no entry in the queue (its store was lost) are queued again."""
    with r.read() as uow:
        rows = uow.session.execute(
            select(Analysis.id, Analysis.request_id).where(Analysis.status == QUEUED)
        ).all()
    missing = [(i, rid) for i, rid in rows if i not in pending]
    for analysis_id, request_id in missing:
        r.queue.enqueue(RUN_TASK, analysis_id, request_id=request_id)
    return [i for i, _ in missing]
