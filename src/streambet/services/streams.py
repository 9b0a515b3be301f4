"""Stream use cases: create (with its source URL checked), read, list, start, stop,
delete. The live job that follows a started stream is services/live_runs.py."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import Field
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from streambet.adapters.orm.base import utcnow
from streambet.adapters.orm.betting import Market
from streambet.adapters.orm.live_markets import LiveMarket
from streambet.adapters.orm.streams import Stream, StreamChunk, StreamEvent, StreamInterval
from streambet.domain.accounts import Principal, Role
from streambet.domain.errors import Conflict, NotFound
from streambet.domain.markets import MarketStatus
from streambet.domain.streams import (
    Interval,
    StreamStatus,
    UrlPolicy,
    check_addresses,
    check_media_path,
    check_transition,
    gaps,
    parse_source_url,
)
from streambet.services.read_models import EpochMs, OptionalEpochMs, ReadModel, read
from streambet.services.unit_of_work import UnitOfWork

TOPIC_STATUS = "stream.status"  # {stream_id, user_id, status, reason, lag_ms}
TOPIC_LABELS = "stream.labels"  # {stream_id, user_id, events: [...]}
RECENT_EVENTS = 50
SHOWN_INTERVALS = 200


@dataclass(frozen=True)
class SourceChecks:
    """What checking a source URL needs from outside: the host's addresses (DNS) and a
    file's real path (symlinks and `..` resolved); adapters/source_checks.py."""

    policy: UrlPolicy
    addresses: Callable[[str], list[str]]
    real_path: Callable[[str], str]


def check_source(url: str, checks: SourceChecks) -> None:
    """400 for a URL nobody may stream from here; nothing is stored either way."""
    source = parse_source_url(url)
    if not checks.policy.production:  # development and tests may point anywhere
        return
    if source.scheme == "replay":
        check_media_path(checks.real_path(source.path), checks.policy)
    elif source.host and source.scheme != "twitch":
        check_addresses(source.host, checks.addresses(source.host), checks.policy)


def connect_addresses(host: str, checks: SourceChecks) -> list[str]:
    """The host's addresses, looked up now, for a live job about to connect (at every
    connect and reconnect, and for every host an HLS playlist names); ValidationFailed
    unless every one is allowed. A name may resolve elsewhere than when the stream was
    made (DNS rebinding)."""
    addresses = checks.addresses(host)
    check_addresses(host, addresses, checks.policy)
    return addresses


class IntervalRead(ReadModel):
    from_ms: int
    until_ms: int


class GapRead(ReadModel):
    from_ms: int
    until_ms: int
    reason: str


class LabelEventRead(ReadModel):
    id: int
    kind: str
    label: str
    source: str
    stream_ms: int
    wall_ms: int
    confidence: float
    box: list[float] | None
    text: str | None
    frame_ms: int | None


class StreamRead(ReadModel):
    id: int
    name: str
    source_url: str
    options: dict[str, Any]
    status: str
    status_reason: str | None
    lag_ms: int | None = Field(description="How far behind live the last analysed picture was")
    dropped_samples: int = Field(description="Pictures skipped to keep up with live")
    created_at_ms: EpochMs = Field(validation_alias="created_at")
    started_at_ms: OptionalEpochMs = Field(validation_alias="started_at")
    status_at_ms: EpochMs = Field(validation_alias="status_at")
    coverage: list[IntervalRead] = Field(description="Stream time analysed (epoch ms), latest")
    gaps: list[GapRead] = Field(description="Stream time between them, with the reason")
    events: list[LabelEventRead] = Field(description="The latest label events, newest first")


def _intervals(session: Session, stream_id: int) -> list[Interval]:
    rows = session.scalars(
        select(StreamInterval)
        .where(StreamInterval.stream_id == stream_id)
        .order_by(StreamInterval.from_ms.desc())
        .limit(SHOWN_INTERVALS)
    ).all()
    return [Interval(r.from_ms, r.until_ms, r.end_reason) for r in reversed(rows)]


def stream_read(session: Session, row: Stream) -> StreamRead:
    intervals = _intervals(session, row.id)
    events = session.scalars(
        select(StreamEvent)
        .where(StreamEvent.stream_id == row.id)
        .order_by(StreamEvent.id.desc())
        .limit(RECENT_EVENTS)
    ).all()
    return read(
        StreamRead,
        row,
        coverage=[IntervalRead(from_ms=i.from_ms, until_ms=i.until_ms) for i in intervals],
        gaps=[
            GapRead(from_ms=g.from_ms, until_ms=g.until_ms, reason=g.reason)
            for g in gaps(intervals)
        ],
        events=[LabelEventRead.model_validate(e) for e in events],
    )


def _visible(session: Session, stream_id: int, by: Principal) -> Stream:
    """The stream, if `by` owns it or is an admin; otherwise as if it did not exist."""
    row = session.get(Stream, stream_id)
    if row is None or (by.role is not Role.ADMIN and row.owner_id != by.user_id):
        raise NotFound("No such stream.")
    return row


def status_event(row: Stream) -> dict[str, Any]:
    return {
        "stream_id": row.id,
        "user_id": row.owner_id,
        "status": row.status,
        "reason": row.status_reason,
        "lag_ms": row.lag_ms,
    }


def create_stream(
    uow: UnitOfWork,
    checks: SourceChecks,
    by: Principal,
    name: str,
    source_url: str,
    options: dict[str, Any],
    *,
    start: bool = False,
) -> StreamRead:
    check_source(source_url, checks)
    with uow:
        row = Stream(
            owner_id=by.user_id,
            name=name,
            source_url=source_url,
            options=options,
            status=StreamStatus.IDLE.value,
        )
        uow.session.add(row)
        uow.session.flush()
        if start:
            _start(row)
        uow.emit(TOPIC_STATUS, status_event(row))
        result = stream_read(uow.session, row)
        uow.commit()
    return result


def get_stream(uow: UnitOfWork, stream_id: int, by: Principal) -> StreamRead:
    with uow:
        return stream_read(uow.session, _visible(uow.session, stream_id, by))


def list_streams(
    uow: UnitOfWork, by: Principal, *, status: StreamStatus | None, limit: int, offset: int
) -> tuple[list[StreamRead], int]:
    with uow:
        query = select(Stream)
        if by.role is not Role.ADMIN:
            query = query.where(Stream.owner_id == by.user_id)
        if status is not None:
            query = query.where(Stream.status == status.value)
        total = uow.session.scalar(select(func.count()).select_from(query.subquery())) or 0
        rows = uow.session.scalars(query.order_by(Stream.id.desc()).limit(limit).offset(offset))
        return [stream_read(uow.session, r) for r in rows], int(total)


def _start(row: Stream) -> None:
    row.status = check_transition(row.status, StreamStatus.STARTING).value
    row.status_reason = None
    row.lag_ms = None
    row.status_at = row.started_at = utcnow()
    row.lease_until = None  # free for a worker to claim (services/live_runs.py)


def start_stream(uow: UnitOfWork, stream_id: int, by: Principal) -> StreamRead:
    """Asks for a live job; a worker with room claims it within a second or two."""
    with uow:
        row = _visible(uow.session, stream_id, by)
        if not StreamStatus(row.status).running:
            _start(row)
            uow.emit(TOPIC_STATUS, status_event(row))
        result = stream_read(uow.session, row)
        uow.commit()
    return result


def stop_stream(uow: UnitOfWork, stream_id: int, by: Principal) -> StreamRead:
    """The live job sees the stream is no longer running and stops (within a second)."""
    with uow:
        row = _visible(uow.session, stream_id, by)
        if row.status != StreamStatus.IDLE:
            row.status = check_transition(row.status, StreamStatus.IDLE).value
            row.status_reason = "stopped by its operator"
            row.status_at = utcnow()
            row.lag_ms = None
            uow.emit(TOPIC_STATUS, status_event(row))
        result = stream_read(uow.session, row)
        uow.commit()
    return result


def delete_stream(uow: UnitOfWork, stream_id: int, by: Principal) -> list[int]:
    """Deletes the stream and everything recorded of it; returns the evidence frames' times
    for the caller to delete from storage (after the commit)."""
    with uow:
        row = _visible(uow.session, stream_id, by)
        if StreamStatus(row.status).running:
            raise Conflict(
                "Stop the stream before deleting it.",
                code="stream_running",
                details={"status": row.status},
            )
        # A market on the stream settles, and is disputed, from what is recorded of it:
        # the stream stays until each has paid out or been canceled.
        undecided = uow.session.scalars(
            select(Market.id)
            .join(LiveMarket, LiveMarket.market_id == Market.id)
            .where(
                LiveMarket.stream_id == row.id,
                Market.status != MarketStatus.CANCELED.value,
                Market.paid_at.is_(None),
            )
            .order_by(Market.id)
        ).all()
        if undecided:
            raise Conflict(
                "Markets on this stream are not yet paid out or canceled; their evidence"
                " is the stream's. Delete it once they are.",
                code="stream_has_markets",
                details={"market_ids": list(undecided)},
            )
        frames = stream_frames(uow.session, row.id)
        for table in (StreamChunk, StreamEvent, StreamInterval):
            uow.session.execute(delete(table).where(table.stream_id == row.id))
        uow.session.delete(row)
        uow.commit()
    return frames


def stream_frames(session: Session, stream_id: int) -> list[int]:
    times: Sequence[int | None] = session.scalars(
        select(StreamEvent.frame_ms).where(
            StreamEvent.stream_id == stream_id, StreamEvent.frame_ms.is_not(None)
        )
    ).all()
    return sorted({ms for ms in times if ms is not None})
