"""Live streams: the stream and its live job's lease, what was analysed (intervals), what
was found (label events), and the detections in chunks (a long stream is many small rows,
never one growing one)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Float, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from streambet.adapters.orm.base import Base, UTCDateTime, utcnow


class Stream(Base):
    __tablename__ = "stream"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("app_user.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    source_url: Mapped[str] = mapped_column(Text)
    options: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    status: Mapped[str] = mapped_column(String(16), index=True)
    status_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    # How far behind live the last analysed picture was (ms), as the job last reported.
    lag_ms: Mapped[int | None] = mapped_column(Integer, nullable=True)
    dropped_samples: Mapped[int] = mapped_column(BigInteger, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    status_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The live job's claim, as for analysis jobs: the holder of the current attempt renews
    # the lease; when it lapses another worker takes the stream over.
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    worker: Mapped[str | None] = mapped_column(String(128), nullable=True)


class StreamInterval(Base):
    """Stream time (epoch ms) one connection of one live job analysed."""

    __tablename__ = "stream_interval"
    __table_args__ = (Index("ix_stream_interval_stream_from", "stream_id", "from_ms"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    stream_id: Mapped[int] = mapped_column(ForeignKey("stream.id", ondelete="CASCADE"))
    attempt: Mapped[int] = mapped_column(Integer)
    from_ms: Mapped[int] = mapped_column(BigInteger)
    until_ms: Mapped[int] = mapped_column(BigInteger)
    end_reason: Mapped[str | None] = mapped_column(Text, nullable=True)


class StreamEvent(Base):
    """A label started, got a better sighting, or ended; with its evidence frame's time."""

    __tablename__ = "stream_event"
    __table_args__ = (Index("ix_stream_event_stream_time", "stream_id", "stream_ms"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    stream_id: Mapped[int] = mapped_column(ForeignKey("stream.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(8))  # start | update | end
    label: Mapped[str] = mapped_column(String(128))
    source: Mapped[str] = mapped_column(String(16))  # picture | sound | speech
    stream_ms: Mapped[int] = mapped_column(BigInteger)  # when it was seen (source clock)
    wall_ms: Mapped[int] = mapped_column(BigInteger)  # when the engine said so
    confidence: Mapped[float] = mapped_column(Float)
    box: Mapped[list[float] | None] = mapped_column(JSON, nullable=True)  # left, top, w, h
    text: Mapped[str | None] = mapped_column(Text, nullable=True)  # spoken words
    frame_ms: Mapped[int | None] = mapped_column(BigInteger, nullable=True)  # evidence JPEG


class StreamChunk(Base):
    """The label samples of a few seconds of stream time."""

    __tablename__ = "stream_chunk"
    __table_args__ = (Index("ix_stream_chunk_stream_from", "stream_id", "from_ms"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    stream_id: Mapped[int] = mapped_column(ForeignKey("stream.id", ondelete="CASCADE"))
    from_ms: Mapped[int] = mapped_column(BigInteger)
    until_ms: Mapped[int] = mapped_column(BigInteger)
    samples: Mapped[list[Any]] = mapped_column(JSON)
