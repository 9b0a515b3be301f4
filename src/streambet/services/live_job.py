"""One claim's live job: what the live analysis tells it goes to the database, storage
and the event bus, while it holds the stream's lease.

Each analysed picture extends the current coverage interval (written about once a second),
replaces the latest picture in storage and is announced on `stream.frame`; label events
are stored with their evidence frames and published on `stream.labels` at once; label
samples are stored in chunks of a few seconds; status and lag go to the row and
`stream.status`. Every write is conditional on still holding the current attempt (and,
for the status, on the stream still being meant to run), so a job that lost its claim, or
whose stream its operator stopped, stops instead of overwriting.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import CursorResult, select, update

from streambet.adapters.orm.base import utcnow
from streambet.adapters.orm.streams import Stream, StreamChunk, StreamEvent, StreamInterval
from streambet.adapters.storage import Storage
from streambet.domain.streams import RUNNING, StreamStatus
from streambet.services.events import Publish
from streambet.services.live_frames import frame_key, latest_key
from streambet.services.streams import TOPIC_LABELS, TOPIC_STATUS
from streambet.services.unit_of_work import UnitOfWorkFactory
from streambet.timeline import LabelSample
from streambet.vision.backends.local.engine import LocalEngine
from streambet.vision.live.analysis import LiveAnalysis
from streambet.vision.live.guard import VetHost
from streambet.vision.live.labels import LabelEvent
from streambet.vision.live.resolve import ClientFactory
from streambet.vision.live.source import now_ms

log = logging.getLogger(__name__)
TOPIC_FRAME = "stream.frame"  # {stream_id, user_id, stream_ms, lag_ms}: a new latest picture
CHUNK_MS = 10_000  # label samples are stored a chunk per this much stream time
WRITE_EVERY = 1.0  # s between writes of the interval's end and the lag


@dataclass(frozen=True)
class LivePolicy:
    lease_seconds: int = 30
    sample_fps: float = 2.0
    open_timeout: float = 10.0
    read_timeout: float = 10.0
    give_up_seconds: float = 60.0
    retention_hours: float = 24.0


@dataclass(frozen=True)
class LiveRunner:
    """What live jobs work with; built once per process by the wiring."""

    write: UnitOfWorkFactory
    read: UnitOfWorkFactory
    storage: Storage
    publish: Publish
    engine: Callable[[tuple[str, ...] | None], LocalEngine]  # by detector names (None: all)
    policy: LivePolicy
    kinesis_clients: ClientFactory | None = None
    # Production: a host's addresses, checked again at every connection (None: anywhere).
    vet_host: VetHost | None = None


def rowcount(result: object) -> int:
    assert isinstance(result, CursorResult)
    return int(result.rowcount)


@dataclass(frozen=True)
class Claim:
    stream_id: int
    attempt: int


class LiveJob:
    """One claim's live job: the sink of the live analysis, the lease, the follower."""

    def __init__(self, r: LiveRunner, claim: Claim, owner_id: int, stop: threading.Event) -> None:
        self.r, self.claim, self.owner_id = r, claim, owner_id
        self.stop = stop
        self.lost_claim = False
        self.stopped = False  # by its operator
        self.status = StreamStatus.STARTING
        self.analysis: LiveAnalysis | None = None
        self._interval_id: int | None = None
        self._interval: tuple[int, int] | None = None
        self._last_write = 0.0
        self._last_picture = time.monotonic()
        self._chunk: list[dict[str, Any]] = []
        self._chunk_from: int | None = None
        self._lock = threading.Lock()  # the interval and the chunk, written from two threads
        self.lag_ms: int | None = None
        self._why: str | None = None  # why the source was last lost

    # -- row updates, only while holding the claim --

    def _update(self, *, running: bool = True, **values: Any) -> bool:
        """Writes the row while this job holds the claim (and, with `running`, while the
        stream should run: an operator's stop is never overwritten); otherwise stops."""
        query = update(Stream).where(
            Stream.id == self.claim.stream_id, Stream.attempts == self.claim.attempt
        )
        if running:
            query = query.where(Stream.status.in_([s.value for s in RUNNING]))
        with self.r.write() as uow:
            changed = rowcount(
                uow.session.execute(
                    query.values(**values).execution_options(synchronize_session=False)
                )
            )
            uow.commit()
        if changed != 1:
            # Still ours but no longer meant to run: its operator stopped it (the interval
            # is then closed as stopped); otherwise another job holds the stream now.
            with self.r.read() as uow:
                row = uow.session.execute(
                    select(Stream.status, Stream.attempts).where(Stream.id == self.claim.stream_id)
                ).one_or_none()
            if row is not None and row[1] == self.claim.attempt:
                self.stopped = True
            else:
                self.lost_claim = True
            self.stop.set()
        return changed == 1

    def set_status(self, status: StreamStatus, reason: str | None, **extra: Any) -> None:
        with self._lock:
            if status == self.status and not extra and status not in (StreamStatus.RECONNECTING,):
                return
            self.status = status
        if self._update(status=status.value, status_reason=reason, status_at=utcnow(), **extra):
            lag = self.lag_ms if status in (StreamStatus.LIVE, StreamStatus.STALLED) else None
            self.r.publish(
                TOPIC_STATUS,
                {
                    "stream_id": self.claim.stream_id,
                    "user_id": self.owner_id,
                    "status": status.value,
                    "reason": reason,
                    "lag_ms": lag,
                },
            )

    # -- the live analysis's sink --

    def connecting(self, attempt: int) -> None:
        if attempt > 1:
            self.set_status(StreamStatus.RECONNECTING, self._why or "reconnecting")

    def lost(self, reason: str) -> None:
        self._why = f"source lost: {reason}"
        self._close_interval(f"source lost: {reason}")
        self.set_status(StreamStatus.RECONNECTING, self._why, lag_ms=None)

    def finished(self, ended: bool, reason: str) -> None:
        self._close_interval(reason)
        self._flush_chunk()
        status = StreamStatus.ENDED if ended else StreamStatus.FAILED
        self._why = reason
        self.set_status(status, reason, lag_ms=None)
        self.stop.set()

    def analysed(self, stream_ms: int, until_ms: int, lag_ms: int, jpeg: bytes) -> None:
        self._last_picture = time.monotonic()
        self.lag_ms = lag_ms
        self.r.storage.put(latest_key(self.claim.stream_id), [jpeg])
        with self._lock:
            if self._interval is None:
                self._interval = (stream_ms, until_ms)
                self._interval_id = None
            else:
                self._interval = (self._interval[0], max(self._interval[1], until_ms))
        # Samples are stored a chunk behind the picture even when no label is seen for a
        # while, so live markets can tell what was surely stored (domain/live_markets.py).
        if self._chunk_from is not None and until_ms - self._chunk_from >= CHUNK_MS:
            self._flush_chunk()
        if self.status is not StreamStatus.LIVE:
            self._write_interval()
            self.set_status(StreamStatus.LIVE, None, lag_ms=lag_ms)
        elif time.monotonic() - self._last_write >= WRITE_EVERY:
            self._write_interval()
            dropped = self.analysis.dropped if self.analysis is not None else 0
            self._update(lag_ms=lag_ms, dropped_samples=dropped)
        self.r.publish(
            TOPIC_FRAME,
            {
                "stream_id": self.claim.stream_id,
                "user_id": self.owner_id,
                "stream_ms": stream_ms,
                "lag_ms": lag_ms,
            },
        )

    def labels(
        self, events: list[tuple[LabelEvent, bytes | None]], samples: list[LabelSample]
    ) -> None:
        if samples:
            with self._lock:
                self._chunk += [s.to_dict() for s in samples]
                first = min(s.timestamp_ms for s in samples)
                start = first if self._chunk_from is None else min(self._chunk_from, first)
                self._chunk_from = start
            if max(s.timestamp_ms for s in samples) - start >= CHUNK_MS:
                self._flush_chunk()
        if not events:
            return
        wall = now_ms()
        sid = self.claim.stream_id
        for event, jpeg in events:
            if jpeg is not None:
                self.r.storage.put(frame_key(sid, event.stream_ms), [jpeg])
        with self.r.write() as uow:
            rows = [
                StreamEvent(
                    stream_id=sid,
                    kind=e.kind,
                    label=e.label,
                    source=e.source,
                    stream_ms=e.stream_ms,
                    wall_ms=wall,
                    confidence=round(e.confidence, 2),
                    box=list(e.box) if e.box else None,
                    text=e.text,
                    frame_ms=e.stream_ms if jpeg is not None else None,
                )
                for e, jpeg in events
            ]
            uow.session.add_all(rows)
            uow.session.flush()
            payload = [
                {
                    "id": row.id,
                    "kind": row.kind,
                    "label": row.label,
                    "source": row.source,
                    "stream_ms": row.stream_ms,
                    "wall_ms": row.wall_ms,
                    "confidence": row.confidence,
                    "box": row.box,
                    "text": row.text,
                    "frame_ms": row.frame_ms,
                }
                for row in rows
            ]
            uow.commit()
        self.r.publish(
            TOPIC_LABELS, {"stream_id": sid, "user_id": self.owner_id, "events": payload}
        )

    # -- coverage and chunks --

    def _write_interval(self) -> None:
        self._last_write = time.monotonic()
        with self._lock:
            interval, interval_id = self._interval, self._interval_id
        if interval is None:
            return
        # A picture stands for its sample interval, but the end written never lies past
        # this moment: stream time is wall time, and a job killed before its next sample
        # has not covered what had not yet happened (its gap starts at this write at most).
        interval = (interval[0], max(interval[0], min(interval[1], now_ms())))
        with self.r.write() as uow:
            if interval_id is None:
                row = StreamInterval(
                    stream_id=self.claim.stream_id,
                    attempt=self.claim.attempt,
                    from_ms=interval[0],
                    until_ms=interval[1],
                )
                uow.session.add(row)
                uow.session.flush()
                interval_id = row.id
            else:
                uow.session.execute(
                    update(StreamInterval)
                    .where(StreamInterval.id == interval_id)
                    .values(until_ms=interval[1])
                )
            uow.commit()
        with self._lock:
            if self._interval is not None and self._interval[0] == interval[0]:
                self._interval_id = interval_id

    def _close_interval(self, reason: str) -> None:
        self._write_interval()
        with self._lock:
            interval_id, self._interval, self._interval_id = self._interval_id, None, None
        if interval_id is not None:
            with self.r.write() as uow:
                uow.session.execute(
                    update(StreamInterval)
                    .where(StreamInterval.id == interval_id)
                    .values(end_reason=reason)
                )
                uow.commit()

    def _flush_chunk(self) -> None:
        with self._lock:
            samples, self._chunk = self._chunk, []
            start, self._chunk_from = self._chunk_from, None
        if not samples or start is None:
            return
        with self.r.write() as uow:
            uow.session.add(
                StreamChunk(
                    stream_id=self.claim.stream_id,
                    from_ms=start,
                    until_ms=max(s["timestamp_ms"] for s in samples),
                    samples=samples,
                )
            )
            uow.commit()

    def hand_back(self) -> None:
        """The job is over: its interval closes with the reason, the samples are stored,
        and the lease is freed, so another worker may take the stream at once if it should
        still run (this worker is shutting down)."""
        if self.lost_claim and not self.stopped:
            return
        if self.stopped:
            reason = "the stream was stopped"
        elif self.status.running:
            reason = "its worker shut down"
        else:
            reason = self._why or str(self.status.value)
        self._close_interval(reason)
        self._flush_chunk()
        self._update(running=False, lease_until=None, worker=None)

    # -- the lease --

    def keep_lease(self) -> None:
        """Renews the lease, notices a stop (the row no longer says run) and a stall."""
        policy = self.r.policy
        renew_every = policy.lease_seconds / 3
        last_renew = time.monotonic()
        stall_after = policy.read_timeout / 2  # stalled first; lost at the read timeout
        while not self.stop.wait(0.5):
            try:
                with self.r.read() as uow:
                    row = uow.session.execute(
                        select(Stream.status, Stream.attempts).where(
                            Stream.id == self.claim.stream_id
                        )
                    ).one_or_none()
                if row is None or row[1] != self.claim.attempt:
                    self.lost_claim = True
                    self.stop.set()
                    return
                if not StreamStatus(row[0]).running:  # stopped by its operator
                    self.stopped = True
                    self.stop.set()
                    return
                if time.monotonic() - last_renew >= renew_every:
                    lease = utcnow() + timedelta(seconds=policy.lease_seconds)
                    self._update(lease_until=lease)
                    last_renew = time.monotonic()
                if (
                    self.status is StreamStatus.LIVE
                    and time.monotonic() - self._last_picture > stall_after
                ):
                    self.set_status(StreamStatus.STALLED, "no picture from the source for a while")
            except Exception:  # a database blip must not end the stream; the next look retries
                log.warning("live lease check failed", exc_info=True)
