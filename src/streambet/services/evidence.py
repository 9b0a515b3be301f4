"""Evidence frames: stills of the decisive moments, kept after the upload is deleted.

After a successful engine run, every sampled time at which any label was seen is saved as
a JPEG under `analyses/<id>/frames/<ms>.jpg`, so each settlement stays traceable to real
frames while the video itself still goes (the original privacy rule). The row lists the
times before the objects are written: whatever happens to the run, the row names every
object that may exist, and failure, cancel and deletion remove them all.
"""

from __future__ import annotations

import bisect
import contextlib
import logging
import mimetypes
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import CursorResult, select, update

from streambet.adapters.orm.analyses import Analysis
from streambet.adapters.storage import Storage
from streambet.domain.accounts import Principal
from streambet.domain.analyses import AnalysisStatus
from streambet.domain.errors import NotFound
from streambet.services.analyses import discard_frames, frame_key, viewable
from streambet.services.unit_of_work import UnitOfWork, UnitOfWorkFactory
from streambet.timeline import Timeline
from streambet.vision.backends import CancelFlag
from streambet.vision.errors import AnalysisCanceled
from streambet.vision.pipeline.frames import extract_frames

log = logging.getLogger(__name__)

FRAME_MAX_WIDTH = 480
FRAME_QUALITY = 80


class EvidenceFailed(Exception):
    """The frames could not be extracted or stored; none were kept."""


def evidence_times(timeline: Timeline, cap: int) -> list[int]:
    """Every sampled time with a label, or `cap` of them spread evenly over the run."""
    times = sorted({s.timestamp_ms for s in timeline.samples})
    if len(times) <= cap:
        return times
    if cap <= 1:
        return times[:cap]
    step = (len(times) - 1) / (cap - 1)
    return [times[round(i * step)] for i in range(cap)]


def store_frames(
    uow: UnitOfWorkFactory,
    storage: Storage,
    analysis_id: str,
    attempt: int,
    path: Path,
    timeline: Timeline,
    cancel: CancelFlag,
    max_frames: int,
) -> list[int]:
    """Extracts and stores the evidence frames of one run; returns their times. All or
    nothing: on failure (EvidenceFailed) or cancel (AnalysisCanceled) none are left."""
    times = evidence_times(timeline, max_frames)
    with uow() as tx:
        # An earlier attempt that died may have left frames; the row names them.
        previous = tx.session.scalar(
            select(Analysis.evidence_frames).where(Analysis.id == analysis_id)
        )
        listed = tx.session.execute(
            update(Analysis)
            .where(Analysis.id == analysis_id, Analysis.attempts == attempt)
            .values(evidence_frames=sorted(set(times) | set(previous or ())))
            .execution_options(synchronize_session=False)
        )
        tx.commit()
    if _rowcount(listed) != 1:  # another run holds the job now: store nothing unlisted
        raise AnalysisCanceled("the claim was lost before storing evidence frames")
    stored: list[int] = []
    try:
        discard_frames(storage, analysis_id, set(previous or ()) - set(times))
        for ms, jpeg in extract_frames(path, times, FRAME_MAX_WIDTH, FRAME_QUALITY):
            if cancel.is_set():
                raise AnalysisCanceled("canceled while storing evidence frames")
            storage.put(frame_key(analysis_id, ms), [jpeg])
            stored.append(ms)
    except BaseException as exc:
        with contextlib.suppress(Exception):  # the row still lists them for a later cleanup
            discard_frames(storage, analysis_id, times)
        if isinstance(exc, AnalysisCanceled | KeyboardInterrupt | SystemExit):
            raise
        log.exception("storing evidence frames failed", extra={"analysis_id": analysis_id})
        raise EvidenceFailed(f"{type(exc).__name__}: {exc}") from exc
    return stored


def _rowcount(result: object) -> int:
    assert isinstance(result, CursorResult)
    return int(result.rowcount)


def _stored_times(row: Analysis) -> list[int]:
    return sorted(row.evidence_frames or ()) if row.status == AnalysisStatus.SUCCEEDED else []


def frame_times(uow: UnitOfWork, principal: Principal, analysis_id: str) -> list[int]:
    with uow:
        return _stored_times(viewable(uow.session, principal, analysis_id))


def frame(
    uow: UnitOfWork, storage: Storage, principal: Principal, analysis_id: str, ms: int
) -> tuple[int, bytes]:
    """The stored frame nearest `ms`: (its time, JPEG bytes)."""
    with uow:
        times = _stored_times(viewable(uow.session, principal, analysis_id))
    if not times:
        raise NotFound("This analysis has no evidence frames.", code="no_frames")
    i = bisect.bisect_left(times, ms)
    nearest = min(times[max(0, i - 1) : i + 1], key=lambda t: (abs(t - ms), t))
    with storage.open(frame_key(analysis_id, nearest)) as body:
        return nearest, body.read()


@dataclass(frozen=True)
class KeptVideo:
    key: str
    size_bytes: int
    content_type: str


def kept_video(uow: UnitOfWork, principal: Principal, analysis_id: str) -> KeptVideo:
    """Where a finished analysis's upload is, when the deployment keeps uploads."""
    with uow:
        row = viewable(uow.session, principal, analysis_id)
        key, name, size = row.storage_key, row.file_name, row.size_bytes
        video_format = str((row.video or {}).get("format", ""))
        kept = row.status == AnalysisStatus.SUCCEEDED and key is not None
    if not kept or key is None:
        raise NotFound("The video of this analysis is not kept.", code="no_video")
    return KeptVideo(key, size, video_type(name, video_format))


# The container PyAV found (its long name) -> the type the video is served as.
_CONTAINER_TYPES = (
    ("matroska", "video/x-matroska"),
    ("webm", "video/webm"),
    ("avi", "video/x-msvideo"),
    ("quicktime", "video/quicktime"),
    ("mp4", "video/mp4"),
)


def video_type(name: str, container: str) -> str:
    """Always a video/* type, whatever the upload was called: the name may say text/html,
    the probe said it is a video."""
    guessed = mimetypes.guess_type(name)[0] or ""
    if guessed.startswith("video/"):
        return guessed
    lowered = container.lower()
    return next((t for marker, t in _CONTAINER_TYPES if marker in lowered), "video/mp4")
