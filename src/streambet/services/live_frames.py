"""Pictures of a live stream in storage: the latest analysed one (replaced about twice a
second, for the live page) and each label event's evidence frame (kept until retention)."""

from __future__ import annotations

from collections.abc import Iterable

from streambet.adapters.orm.streams import Stream, StreamEvent
from streambet.adapters.storage import Storage, StorageError
from streambet.domain.accounts import Principal, Role
from streambet.domain.errors import NotFound
from streambet.services.unit_of_work import UnitOfWork


def latest_key(stream_id: int) -> str:
    return f"streams/{stream_id}/latest.jpg"


def frame_key(stream_id: int, ms: int) -> str:
    return f"streams/{stream_id}/frames/{ms}.jpg"


def _check(uow: UnitOfWork, stream_id: int, by: Principal) -> None:
    row = uow.session.get(Stream, stream_id)
    if row is None or (by.role is not Role.ADMIN and row.owner_id != by.user_id):
        raise NotFound("No such stream.")


def _read(storage: Storage, key: str) -> bytes:
    try:
        with storage.open(key) as fh:
            return fh.read()
    except (FileNotFoundError, StorageError):
        raise NotFound("No frame yet.") from None


def latest(uow: UnitOfWork, storage: Storage, by: Principal, stream_id: int) -> tuple[int, bytes]:
    """(stream ms, JPEG) of the latest analysed picture. The time is in the JPEG's comment
    (see live_runs), so the picture and its time are one object and cannot disagree."""
    with uow:
        _check(uow, stream_id, by)
    jpeg = _read(storage, latest_key(stream_id))
    return jpeg_time(jpeg), jpeg


def of_event(
    uow: UnitOfWork, storage: Storage, by: Principal, stream_id: int, event_id: int
) -> tuple[int, bytes]:
    with uow:
        _check(uow, stream_id, by)
        event = uow.session.get(StreamEvent, event_id)
        if event is None or event.stream_id != stream_id or event.frame_ms is None:
            raise NotFound("No frame for that event.")
        ms = event.frame_ms
    return ms, _read(storage, frame_key(stream_id, ms))


def discard(storage: Storage, stream_id: int, times: Iterable[int]) -> None:
    for ms in times:
        storage.delete(frame_key(stream_id, ms))
    storage.delete(latest_key(stream_id))


COMMENT_PREFIX = b"streambet-ms:"


def jpeg_time(jpeg: bytes) -> int:
    """The stream time written in a JPEG's COM segment by the live job (0 if none)."""
    at = jpeg.find(b"\xff\xfe")
    if at < 0:
        return 0
    length = int.from_bytes(jpeg[at + 2 : at + 4], "big")
    body = jpeg[at + 4 : at + 2 + length]
    if not body.startswith(COMMENT_PREFIX):
        return 0
    try:
        return int(body[len(COMMENT_PREFIX) :])
    except ValueError:
        return 0
