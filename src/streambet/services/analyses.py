"""Analysis jobs: submit an upload, run it on the engine, cancel it, read it.

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
from typing import TYPE_CHECKING, Any

from sqlalchemy import delete, func, select

from streambet.adapters.orm.analyses import Analysis
from streambet.adapters.orm.betting import Market
from streambet.adapters.storage import Storage, TooLarge
from streambet.domain.errors import (
    Conflict,
    NotFound,
    PayloadTooLarge,
    StreamBetError,
    UnsupportedMedia,
    ValidationFailed,
)
from streambet.domain.uploads import clean_file_name
from streambet.services.accounts import Principal
from streambet.timeline import Timeline
from streambet.vision import errors as video_errors
from streambet.vision.pipeline.probe import probe_video

if TYPE_CHECKING:
    from streambet.wiring import Wiring

log = logging.getLogger(__name__)

TOPIC = "analysis.progress"
QUEUED, RUNNING, SUCCEEDED, FAILED, CANCELED = (
    "queued",
    "running",
    "succeeded",
    "failed",
    "canceled",
)
TERMINAL = (SUCCEEDED, FAILED, CANCELED)
STATUSES = (QUEUED, RUNNING, SUCCEEDED, FAILED, CANCELED)


@dataclass(frozen=True)
class AnalysisState:
    """A snapshot of one job, as the API shows it."""

    id: str
    user_id: int
    file_name: str
    size_bytes: int
    status: str
    progress: int
    options: dict[str, Any]
    video: dict[str, Any] | None
    error_code: str | None
    error_message: str | None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    engine_seconds: float | None
    attempts: int
    timeline: dict[str, Any] | None
    evidence_seconds: float | None = None
    second_timeline: dict[str, Any] | None = None

    @property
    def done(self) -> bool:
        return self.status in TERMINAL


def state_of(row: Analysis, *, with_timeline: bool = True) -> AnalysisState:
    return AnalysisState(
        id=row.id,
        user_id=row.user_id,
        file_name=row.file_name,
        size_bytes=row.size_bytes,
        status=row.status,
        progress=row.progress,
        options=dict(row.options or {}),
        video=row.video,
        error_code=row.error_code,
        error_message=row.error_message,
        created_at=row.created_at,
        started_at=row.started_at,
        finished_at=row.finished_at,
        engine_seconds=row.engine_seconds,
        attempts=row.attempts,
        timeline=row.timeline if with_timeline else None,
        evidence_seconds=row.evidence_seconds,
        second_timeline=row.second_timeline if with_timeline else None,
    )


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


def submit(
    w: Wiring,
    principal: Principal,
    file_name: str,
    chunks: Iterable[bytes],
    options: Mapping[str, Any],
    request_id: str = "",
) -> AnalysisState:
    """Stores, probes, records and queues one upload; on any failure nothing is left."""
    name = clean_file_name(file_name)
    settings = w.settings
    analysis_id = uuid.uuid4().hex
    key = f"uploads/{analysis_id}"
    storage = w.storage
    stored = False
    try:
        try:
            size = storage.put(key, chunks, max_bytes=settings.max_upload_bytes)
        except TooLarge:
            raise PayloadTooLarge(
                f"The file is larger than the {settings.max_upload_mb} MB limit.",
                details={"field": "file", "limit_bytes": settings.max_upload_bytes},
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
                    max_seconds=settings.max_video_seconds,
                    max_pixels=settings.max_video_pixels,
                )
        except video_errors.VideoError as exc:
            raise _video_error(exc) from None
        with w.uow() as uow:
            row = Analysis(
                id=analysis_id,
                user_id=principal.user_id,
                file_name=name,
                storage_key=key,
                size_bytes=size,
                status=QUEUED,
                progress=0,
                options=dict(options),
                video=video.to_dict(),
                request_id=request_id,
                attempts=0,
                cancel_requested=False,
            )
            uow.session.add(row)
            uow.session.flush()
            state = state_of(row)
            uow.commit()
    except BaseException:
        if stored:
            storage.delete(key)
        raise
    # Before enqueueing: an in-process queue may run the whole job inside that call.
    log.info("analysis queued", extra={"analysis_id": analysis_id, "size_bytes": size})
    w.events.publish(TOPIC, event_of(state))
    try:
        w.queue.enqueue_analysis(analysis_id, request_id)
    except Exception:
        log.exception("could not queue the analysis", extra={"analysis_id": analysis_id})
        with w.uow() as uow:
            uow.session.execute(delete(Analysis).where(Analysis.id == analysis_id))
            uow.commit()
        storage.delete(key)
        raise
    return get_state(w, analysis_id) or state


def event_of(state: AnalysisState) -> dict[str, Any]:
    return {
        "id": state.id,
        "user_id": state.user_id,
        "status": state.status,
        "progress": state.progress,
    }


def _visible(principal: Principal, row: Analysis | None) -> Analysis:
    if row is None or (row.user_id != principal.user_id and principal.role != "admin"):
        raise NotFound("No such analysis.")
    return row


def get_state(w: Wiring, analysis_id: str) -> AnalysisState | None:
    with w.read_uow() as uow:
        row = uow.session.get(Analysis, analysis_id)
        return state_of(row) if row is not None else None


def get(w: Wiring, principal: Principal, analysis_id: str) -> AnalysisState:
    with w.read_uow() as uow:
        return state_of(_visible(principal, uow.session.get(Analysis, analysis_id)))


def list_for(
    w: Wiring, principal: Principal, status: str | None = None, limit: int = 50
) -> list[AnalysisState]:
    """The caller's own analyses, newest first (timelines left out)."""
    query = select(Analysis).where(Analysis.user_id == principal.user_id)
    if status is not None:
        query = query.where(Analysis.status == status)
    query = query.order_by(Analysis.created_at.desc(), Analysis.id).limit(limit)
    with w.read_uow() as uow:
        return [state_of(r, with_timeline=False) for r in uow.session.scalars(query)]


def cancel(w: Wiring, principal: Principal, analysis_id: str) -> AnalysisState:
    """A queued job is canceled at once; a running one is flagged and stops at its next
    sample. Canceling a finished job is a conflict."""
    key: str | None = None
    frames: list[int] = []
    with w.uow() as uow:
        row = _visible(principal, uow.session.get(Analysis, analysis_id))
        if row.status in TERMINAL:
            raise Conflict(
                f"The analysis has already {row.status}.", details={"status": row.status}
            )
        row.cancel_requested = True
        if row.status == QUEUED:
            row.status = CANCELED
            row.finished_at = utcnow()
            row.error_code, row.error_message = "canceled", "Canceled before it started."
            key, row.storage_key = row.storage_key, None
            # Frames a run that died (the job was queued again) may have left.
            frames, row.evidence_frames = list(row.evidence_frames or ()), None
        state = state_of(row)
        uow.commit()
    discard_frames(w.storage, analysis_id, frames)
    if key is not None:
        w.storage.delete(key)
        w.metrics.observe_job(CANCELED, 0.0)
    w.events.publish(TOPIC, event_of(state))
    log.info("analysis cancel requested", extra={"analysis_id": analysis_id})
    return state


def remove(w: Wiring, principal: Principal, analysis_id: str) -> None:
    """Removes a finished analysis with everything it stored (frames, a kept upload). One
    that a market is built on stays: its settlement must remain traceable."""
    with w.uow() as uow:
        row = _visible(principal, uow.session.get(Analysis, analysis_id))
        if row.status not in TERMINAL:
            raise Conflict(
                "Cancel the analysis before deleting it.", details={"status": row.status}
            )
        if uow.session.scalar(select(Market.id).where(Market.analysis_id == analysis_id).limit(1)):
            raise Conflict("A market is built on this analysis.", code="analysis_in_use")
        key, frames = row.storage_key, list(row.evidence_frames or ())
        uow.session.delete(row)
        uow.commit()
    if key:
        w.storage.delete(key)
    discard_frames(w.storage, analysis_id, frames)
    log.info("analysis deleted", extra={"analysis_id": analysis_id, "frames": len(frames)})


def wait(w: Wiring, analysis_id: str, timeout: float) -> AnalysisState:
    """Blocks until the job is finished or `timeout` seconds pass; returns its state."""
    deadline = time.monotonic() + timeout
    with w.events.subscribe(TOPIC) as sub:
        while True:
            state = get_state(w, analysis_id)
            if state is None:
                raise NotFound("No such analysis.")
            remaining = deadline - time.monotonic()
            if state.done or remaining <= 0:
                return state
            # Events wake us early; the poll covers a bus that dropped one.
            event = sub.get(timeout=min(1.0, remaining))
            while event is not None and event.payload.get("id") != analysis_id:
                event = sub.get(timeout=0.05)


def status_counts(w: Wiring) -> dict[str, int]:
    with w.read_uow() as uow:
        rows = uow.session.execute(
            select(Analysis.status, func.count()).group_by(Analysis.status)
        ).all()
    counts = dict.fromkeys(STATUSES, 0)
    counts.update({str(status): int(n) for status, n in rows})
    return counts


class DbTimelineSource:
    """`timeline_for(analysis_id)` for settlement: the stored result of a finished job."""

    def __init__(self, w: Wiring) -> None:
        self.w = w

    def timeline_for(self, analysis_id: str) -> Timeline | None:
        with self.w.read_uow() as uow:
            data = uow.session.scalar(
                select(Analysis.timeline).where(
                    Analysis.id == analysis_id, Analysis.status == SUCCEEDED
                )
            )
        return Timeline.from_dict(data) if data else None

    def second_timeline_for(self, analysis_id: str) -> Timeline | None:
        """Agreement mode: the second engine's timeline, or None when it did not run."""
        with self.w.read_uow() as uow:
            data = uow.session.scalar(
                select(Analysis.second_timeline).where(
                    Analysis.id == analysis_id, Analysis.status == SUCCEEDED
                )
            )
        return Timeline.from_dict(data) if data else None
