"""Analysis jobs: submit an upload, read it, cancel it, delete it, wait for it.

`submit` is all-or-nothing: the upload is streamed to storage, probed, recorded and queued,
and any failure on the way removes what was written (object, row). Running a job is in
services/analysis_runs.py.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

from pydantic import Field
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from streambet.adapters.events import EventBus
from streambet.adapters.orm.analyses import Analysis
from streambet.adapters.orm.betting import Market
from streambet.adapters.storage import Storage, TooLarge
from streambet.domain.accounts import Principal, Role
from streambet.domain.analyses import AnalysisStatus, check_transition
from streambet.domain.errors import (
    Conflict,
    NotFound,
    PayloadTooLarge,
    StreamBetError,
    UnsupportedMedia,
    ValidationFailed,
)
from streambet.domain.markets import MarketStatus, evidence_sealed
from streambet.domain.uploads import clean_file_name
from streambet.services.events import ANALYSIS_PROGRESS
from streambet.services.read_models import ReadModel, read
from streambet.services.unit_of_work import UnitOfWork, UnitOfWorkFactory
from streambet.timeline import Timeline
from streambet.vision import errors as video_errors
from streambet.vision.pipeline.probe import probe_video

log = logging.getLogger(__name__)

TOPIC = ANALYSIS_PROGRESS
RUN_TASK = "run_analysis"  # the queue task that runs a job (registered by streambet.worker)


class TaskQueue(Protocol):
    """The job queue port (streambet.adapters.queue.JobQueue)."""

    def enqueue(self, name: str, *args: str | int, request_id: str = "") -> None: ...


class JobMetrics(Protocol):
    def observe_job(self, status: str, seconds: float) -> None: ...


@dataclass(frozen=True)
class UploadPolicy:
    max_upload_mb: int = 100
    max_video_seconds: int = 6 * 3600
    max_video_pixels: int = 4096 * 2160
    # Scripted-engine controls (`extra`) are accepted only when the fake engine runs.
    scripted_engine: bool = False

    @property
    def max_bytes(self) -> int:
        return self.max_upload_mb * 1024 * 1024


class TimingsRead(ReadModel):
    queued_ms: int | None
    run_ms: int | None
    engine_ms: int | None
    evidence_ms: int | None = None  # storing the evidence frames, apart from the engine


class ErrorInfoRead(ReadModel):
    code: str
    message: str


class AnalysisRead(ReadModel):
    """One job as its row has it (the API adds its URL and, once done, the result)."""

    id: str
    status: AnalysisStatus
    progress: int = Field(ge=0, le=100)
    file_name: str
    size_bytes: int
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    timings: TimingsRead
    attempts: int
    error: ErrorInfoRead | None
    video: dict[str, Any] | None
    video_kept: bool = Field(
        description="The upload itself is kept and served at .../video (STREAMBET_KEEP_UPLOADS)"
    )
    # What the use cases and the API read, never sent as such.
    user_id: int = Field(exclude=True)
    timeline: dict[str, Any] | None = Field(default=None, exclude=True)
    second_timeline: dict[str, Any] | None = Field(default=None, exclude=True)

    @property
    def done(self) -> bool:
        return self.status.finished


def _ms(start: datetime | None, end: datetime | None) -> int | None:
    if start is None or end is None:
        return None
    return round((end - start).total_seconds() * 1000)


def _seconds_ms(seconds: float | None) -> int | None:
    return None if seconds is None else round(seconds * 1000)


def analysis_read(row: Analysis, *, with_timeline: bool = True) -> AnalysisRead:
    return read(
        AnalysisRead,
        row,
        timings=TimingsRead(
            queued_ms=_ms(row.created_at, row.started_at),
            run_ms=_ms(row.started_at, row.finished_at),
            engine_ms=_seconds_ms(row.engine_seconds),
            evidence_ms=_seconds_ms(row.evidence_seconds),
        ),
        error=ErrorInfoRead(code=row.error_code, message=row.error_message or "")
        if row.error_code
        else None,
        timeline=row.timeline if with_timeline else None,
        second_timeline=row.second_timeline if with_timeline else None,
        # As services/evidence.kept_video decides: done, and its upload not deleted.
        video_kept=row.status == AnalysisStatus.SUCCEEDED and row.storage_key is not None,
    )


def progress_event(row: Analysis) -> dict[str, Any]:
    return {
        "id": row.id,
        "user_id": row.user_id,
        "status": row.status,
        "progress": row.progress,
    }


def frame_key(analysis_id: str, ms: int) -> str:
    """Where an evidence frame lives (services/evidence.py stores them)."""
    return f"analyses/{analysis_id}/frames/{ms}.jpg"


def discard_frames(storage: Storage, analysis_id: str, times: Iterable[int]) -> None:
    """Deletes the evidence frames at `times` (absent ones are fine)."""
    for ms in times:
        storage.delete(frame_key(analysis_id, ms))


def utcnow() -> datetime:
    return datetime.now(UTC)


# Bad video -> HTTP-facing domain error; each keeps the video error's stable code.
def _video_error(exc: video_errors.VideoError) -> StreamBetError:
    details = {"field": "file"}
    if isinstance(exc, video_errors.NotAVideo | video_errors.NoVideoStream):
        return UnsupportedMedia(exc.message, details=details, code=exc.code)
    if isinstance(exc, video_errors.VideoTooLarge):
        return PayloadTooLarge(exc.message, details=details, code=exc.code)
    return ValidationFailed(exc.message, details=details, code=exc.code)


def _check_options(options: Mapping[str, Any], policy: UploadPolicy) -> None:
    if options.get("extra") and not policy.scripted_engine:
        raise ValidationFailed("'extra' options are only for the test engine.")


def submit(
    uow: UnitOfWorkFactory,
    storage: Storage,
    queue: TaskQueue,
    policy: UploadPolicy,
    principal: Principal,
    file_name: str,
    chunks: Iterable[bytes],
    options: Mapping[str, Any],
    request_id: str = "",
    *,
    hold: bool = False,
) -> AnalysisRead:
    """Stores, probes, records and queues one upload; on any failure nothing is left.
    `hold`: recorded but not queued, so markets can open on its footage before the engine
    has seen it (`start`, or a market on it locking, queues it)."""
    name = clean_file_name(file_name)
    _check_options(options, policy)
    analysis_id = uuid.uuid4().hex
    key = f"uploads/{analysis_id}"
    stored = False
    try:
        try:
            size = storage.put(key, chunks, max_bytes=policy.max_bytes)
        except TooLarge:
            raise PayloadTooLarge(
                f"The file is larger than the {policy.max_upload_mb} MB limit.",
                details={"field": "file", "limit_bytes": policy.max_bytes},
            ) from None
        stored = True
        if size == 0:
            raise ValidationFailed(
                "The file is empty.", details={"field": "file"}, code="empty_file"
            )
        try:
            with storage.local_path(key) as path:
                video = probe_video(
                    path,
                    max_seconds=policy.max_video_seconds,
                    max_pixels=policy.max_video_pixels,
                )
        except video_errors.VideoError as exc:
            raise _video_error(exc) from None
        with uow() as tx:
            row = Analysis(
                id=analysis_id,
                user_id=principal.user_id,
                file_name=name,
                storage_key=key,
                size_bytes=size,
                status=(AnalysisStatus.HELD if hold else AnalysisStatus.QUEUED).value,
                progress=0,
                options=dict(options),
                video=video.to_dict(),
                request_id=request_id,
                attempts=0,
                cancel_requested=False,
            )
            tx.session.add(row)
            tx.session.flush()
            state = analysis_read(row)
            # Announced before enqueueing: an in-process queue may run the whole job there.
            tx.emit(TOPIC, progress_event(row))
            tx.commit()
    except BaseException:
        if stored:
            storage.delete(key)
        raise
    if hold:
        log.info("analysis held", extra={"analysis_id": analysis_id, "size_bytes": size})
        return state
    log.info("analysis queued", extra={"analysis_id": analysis_id, "size_bytes": size})
    try:
        queue.enqueue(RUN_TASK, analysis_id, request_id=request_id)
    except Exception:
        log.exception("could not queue the analysis", extra={"analysis_id": analysis_id})
        with uow() as tx:
            tx.session.execute(delete(Analysis).where(Analysis.id == analysis_id))
            tx.commit()
        storage.delete(key)
        raise
    with uow() as tx:  # an in-process queue has run the job by now
        row_now = tx.session.get(Analysis, analysis_id)
        return state if row_now is None else analysis_read(row_now)


def _queue_held(uow: UnitOfWork, queue: TaskQueue, row: Analysis) -> AnalysisRead:
    """Moves a held job to the queue (inside `uow`, which the caller entered) and commits;
    the task is queued after the commit, so a consumer never finds it still held."""
    row.status = check_transition(row.status, AnalysisStatus.QUEUED).value
    state = analysis_read(row)
    uow.emit(TOPIC, progress_event(row))
    uow.commit()
    queue.enqueue(RUN_TASK, row.id, request_id=row.request_id)
    log.info("held analysis queued", extra={"analysis_id": row.id})
    return state


def start(
    uow: UnitOfWork, queue: TaskQueue, principal: Principal, analysis_id: str
) -> AnalysisRead:
    """Its owner (or an admin) lets a held job run now; markets opened on its footage
    meanwhile keep its evidence sealed until they lock."""
    with uow:
        row = _visible(principal, uow.session.get(Analysis, analysis_id, with_for_update=True))
        if row.status != AnalysisStatus.HELD:
            raise Conflict(
                f"Only a held analysis is started by hand; this one is {row.status}.",
                code="not_held",
                details={"status": row.status},
            )
        return _queue_held(uow, queue, row)


def release_locked(
    write: UnitOfWorkFactory, read: UnitOfWorkFactory, queue: TaskQueue
) -> list[str]:
    """Queues every held job one of whose markets has stopped taking wagers (the periodic
    betting job): betting on that footage is over, so its evidence may now be made."""
    with read() as tx:
        due = list(
            tx.session.scalars(
                select(Analysis.id)
                .where(Analysis.status == AnalysisStatus.HELD.value)
                .where(
                    Analysis.id.in_(
                        select(Market.analysis_id).where(Market.status != MarketStatus.OPEN.value)
                    )
                )
            )
        )
    released = []
    for analysis_id in due:
        uow = write()
        with uow:
            row = uow.session.get(Analysis, analysis_id, with_for_update=True)
            if row is None or row.status != AnalysisStatus.HELD:
                continue  # started or canceled meanwhile
            _queue_held(uow, queue, row)
        released.append(analysis_id)
    return released


def _visible(principal: Principal, row: Analysis | None) -> Analysis:
    """The row, for its owner and admins only (managing the job)."""
    if row is None or (row.user_id != principal.user_id and principal.role is not Role.ADMIN):
        raise NotFound("No such analysis.")
    return row


def viewable(session: Session, principal: Principal, analysis_id: str) -> Analysis:
    """The analysis, for reading its evidence (timeline in every format, suggestions,
    frames, the kept video): its owner and admins always; anyone else only once markets
    are built on it and none of them is still open, so no bettor sees the answer before
    betting on it has stopped. Otherwise it does not exist, as far as they can tell."""
    row = session.get(Analysis, analysis_id)
    if row is None:
        raise NotFound("No such analysis.")
    if row.user_id == principal.user_id or principal.role is Role.ADMIN:
        return row
    statuses = list(session.scalars(select(Market.status).where(Market.analysis_id == row.id)))
    if evidence_sealed(statuses):
        raise NotFound("No such analysis.")
    return row


def get_state(uow: UnitOfWork, analysis_id: str) -> AnalysisRead | None:
    with uow:
        row = uow.session.get(Analysis, analysis_id)
        return analysis_read(row) if row is not None else None


def get(uow: UnitOfWork, principal: Principal, analysis_id: str) -> AnalysisRead:
    with uow:
        return analysis_read(viewable(uow.session, principal, analysis_id))


def list_for(
    uow: UnitOfWork, principal: Principal, status: str | None = None, limit: int = 50
) -> list[AnalysisRead]:
    """The caller's own analyses, newest first (timelines left out)."""
    query = select(Analysis).where(Analysis.user_id == principal.user_id)
    if status is not None:
        query = query.where(Analysis.status == status)
    query = query.order_by(Analysis.created_at.desc(), Analysis.id).limit(limit)
    with uow:
        return [analysis_read(r, with_timeline=False) for r in uow.session.scalars(query)]


def cancel(
    uow: UnitOfWork,
    storage: Storage,
    metrics: JobMetrics,
    principal: Principal,
    analysis_id: str,
) -> AnalysisRead:
    """A queued job is canceled at once; a running one is flagged and stops at its next
    sample. Canceling a finished job is a conflict."""
    key: str | None = None
    frames: list[int] = []
    with uow:
        row = _visible(principal, uow.session.get(Analysis, analysis_id))
        if row.status in (AnalysisStatus.QUEUED, AnalysisStatus.HELD):
            row.status = check_transition(row.status, AnalysisStatus.CANCELED).value
            row.finished_at = utcnow()
            row.error_code, row.error_message = "canceled", "Canceled before it started."
            key, row.storage_key = row.storage_key, None
            # Frames a run that died (the job was queued again) may have left.
            frames, row.evidence_frames = list(row.evidence_frames or ()), None
        elif AnalysisStatus(row.status).finished:
            check_transition(row.status, AnalysisStatus.CANCELED)  # a conflict
        row.cancel_requested = True
        state = analysis_read(row)
        uow.emit(TOPIC, progress_event(row))
        uow.commit()
    discard_frames(storage, analysis_id, frames)
    if key is not None:
        storage.delete(key)
        metrics.observe_job(AnalysisStatus.CANCELED, 0.0)
    log.info("analysis cancel requested", extra={"analysis_id": analysis_id})
    return state


def remove(uow: UnitOfWork, storage: Storage, principal: Principal, analysis_id: str) -> None:
    """Removes a finished analysis with everything it stored (frames, a kept upload). One
    that a market is built on stays: its settlement must remain traceable."""
    with uow:
        row = _visible(principal, uow.session.get(Analysis, analysis_id))
        if not AnalysisStatus(row.status).finished:
            raise Conflict(
                "Cancel the analysis before deleting it.", details={"status": row.status}
            )
        if uow.session.scalar(select(Market.id).where(Market.analysis_id == analysis_id).limit(1)):
            raise Conflict("A market is built on this analysis.", code="analysis_in_use")
        key, frames = row.storage_key, list(row.evidence_frames or ())
        uow.session.delete(row)
        uow.commit()
    if key:
        storage.delete(key)
    discard_frames(storage, analysis_id, frames)
    log.info("analysis deleted", extra={"analysis_id": analysis_id, "frames": len(frames)})


def wait(
    read_uow: UnitOfWorkFactory, bus: EventBus, analysis_id: str, timeout: float
) -> AnalysisRead:
    """Blocks until the job is finished or `timeout` seconds pass; returns its state."""
    deadline = time.monotonic() + timeout
    with bus.subscribe(TOPIC) as sub:
        while True:
            state = get_state(read_uow(), analysis_id)
            if state is None:
                raise NotFound("No such analysis.")
            remaining = deadline - time.monotonic()
            if state.done or remaining <= 0:
                return state
            # Events wake us early; the poll covers a bus that dropped one.
            event = sub.get(timeout=min(1.0, remaining))
            while event is not None and event.payload.get("id") != analysis_id:
                event = sub.get(timeout=0.05)


def status_counts(uow: UnitOfWork) -> dict[str, int]:
    with uow:
        rows = uow.session.execute(
            select(Analysis.status, func.count()).group_by(Analysis.status)
        ).all()
    counts = dict.fromkeys((s.value for s in AnalysisStatus), 0)
    counts.update({str(status): int(n) for status, n in rows})
    return counts


class DbTimelineSource:
    """`timeline_for(analysis_id)` for settlement: the stored result of a finished job."""

    def __init__(self, read_uow: UnitOfWorkFactory) -> None:
        self._read = read_uow

    def _stored(self, column: Any, analysis_id: str) -> Timeline | None:
        with self._read() as uow:
            data = uow.session.scalar(
                select(column).where(
                    Analysis.id == analysis_id, Analysis.status == AnalysisStatus.SUCCEEDED
                )
            )
        return Timeline.from_dict(data) if data else None

    def timeline_for(self, analysis_id: str) -> Timeline | None:
        return self._stored(Analysis.timeline, analysis_id)

    def second_timeline_for(self, analysis_id: str) -> Timeline | None:
        """Agreement mode: the second engine's timeline, or None when it did not run."""
        return self._stored(Analysis.second_timeline, analysis_id)
