"""Removing what a crash can leave in storage.

Every request and job cleans up after itself, but a process killed at the wrong moment
cannot: between storing an upload and committing its row (an upload nobody knows), while
writing one (a `.part` file, or an unfinished S3 multipart upload), between writing
evidence frames and recording them, or while a remote upload is copied for the engine (a
file in the data dir's tmp/); a live job killed between storing an event's evidence frame
and writing the event, or a stream deleted while its job still wrote. This sweep
compares storage with the database and removes those. Only what is older than the grace
period goes, so an upload or a job still in flight is never touched.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import select

from streambet.adapters.orm.analyses import Analysis
from streambet.adapters.orm.streams import Stream, StreamEvent
from streambet.adapters.storage import TEMP_PREFIX, Storage
from streambet.services.unit_of_work import UnitOfWork

GRACE = timedelta(hours=1)
log = logging.getLogger(__name__)


@dataclass
class SweepResult:
    removed: list[str] = field(default_factory=list)  # storage keys and tmp/ file names


def _frame_ms(key: str) -> int | None:
    """`analyses/<id>/frames/<ms>.jpg` -> ms; None for anything else under analyses/."""
    parts = key.split("/")
    if len(parts) == 4 and parts[2] == "frames" and parts[3].endswith(".jpg"):
        stem = parts[3][: -len(".jpg")]
        return int(stem) if stem.isdigit() else None
    return None


def sweep_orphans(
    uow: UnitOfWork,
    storage: Storage,
    temp_dir: Path,
    grace: timedelta = GRACE,
    now: datetime | None = None,
) -> SweepResult:
    """`uow` only reads; `temp_dir` is where the engine's copies of remote objects go."""
    cutoff = (now or datetime.now(UTC)) - grace
    with uow:
        rows = uow.session.execute(
            select(Analysis.id, Analysis.storage_key, Analysis.evidence_frames)
        ).all()
    uploads = {key for _, key, _ in rows if key}
    frames = {analysis_id: set(times or ()) for analysis_id, _, times in rows}
    result = SweepResult()

    def orphaned_frame(key: str) -> bool:
        analysis_id = key.split("/")[1]
        return analysis_id not in frames or _frame_ms(key) not in frames[analysis_id]

    _remove(storage, "uploads/", lambda key: key not in uploads, cutoff, result)
    result.removed += storage.abort_unfinished("uploads/", cutoff)
    _remove(storage, "analyses/", orphaned_frame, cutoff, result)
    _remove(storage, "streams/", _stream_orphans(uow), cutoff, result)
    _remove_temp_files(temp_dir, cutoff, result)
    if result.removed:
        log.warning("removed orphans", extra={"count": len(result.removed)})
    return result


def _stream_orphans(uow: UnitOfWork) -> Callable[[str], bool]:
    """Live stream pictures no row records: an evidence frame stored by a job that died
    before its event was written, anything of a deleted stream."""
    with uow:
        streams = set(uow.session.scalars(select(Stream.id)).all())
        frames = set(
            uow.session.execute(
                select(StreamEvent.stream_id, StreamEvent.frame_ms).where(
                    StreamEvent.frame_ms.is_not(None)
                )
            ).all()
        )

    def orphaned(key: str) -> bool:
        parts = key.split("/")
        if len(parts) < 3 or not parts[1].isdigit() or int(parts[1]) not in streams:
            return True
        stream_id = int(parts[1])
        if len(parts) == 4 and parts[2] == "frames" and parts[3].endswith(".jpg"):
            stem = parts[3][: -len(".jpg")]
            return not stem.isdigit() or (stream_id, int(stem)) not in frames
        return False  # the latest picture of a stream that exists

    return orphaned


def _remove(
    storage: Storage,
    prefix: str,
    orphaned: Callable[[str], bool],
    cutoff: datetime,
    result: SweepResult,
) -> None:
    for obj in storage.list(prefix):
        if obj.modified < cutoff and orphaned(obj.key):
            storage.delete(obj.key)
            result.removed.append(obj.key)


def _remove_temp_files(folder: Path, cutoff: datetime, result: SweepResult) -> None:
    if not folder.is_dir():
        return
    for path in folder.glob(f"{TEMP_PREFIX}*"):
        try:
            if path.is_file() and datetime.fromtimestamp(path.stat().st_mtime, UTC) < cutoff:
                path.unlink()
                result.removed.append(f"tmp/{path.name}")
        except FileNotFoundError:  # its owner removed it meanwhile
            continue
