"""Analysis jobs: the durable state of one upload's analysis (the queue only carries ids)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, Float, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from streambet.adapters.orm.base import Base, UTCDateTime, utcnow


class Analysis(Base):
    __tablename__ = "analysis"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)  # uuid4 hex
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id", ondelete="CASCADE"), index=True)
    file_name: Mapped[str] = mapped_column(String(255))  # sanitised; never used as a path
    storage_key: Mapped[str | None] = mapped_column(String(512), nullable=True)
    size_bytes: Mapped[int] = mapped_column(BigInteger, default=0)
    status: Mapped[str] = mapped_column(String(16), index=True)
    progress: Mapped[int] = mapped_column(Integer, default=0)  # 0-100
    options: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    video: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)  # probe result
    error_code: Mapped[str | None] = mapped_column(String(64), nullable=True)
    error_message: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    engine_seconds: Mapped[float | None] = mapped_column(Float, nullable=True)
    timeline: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    # Agreement mode: the second engine's timeline of the same clip.
    second_timeline: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    # Times (ms) of the evidence frames in storage. Written before they are stored, so a
    # run that dies half way still names every object it may have left for cleanup.
    evidence_frames: Mapped[list[int] | None] = mapped_column(JSON, nullable=True)
    evidence_seconds: Mapped[float | None] = mapped_column(Float, nullable=True)
    request_id: Mapped[str] = mapped_column(String(64), default="")
    # Exactly-once execution: a run claims the row by bumping `attempts` and holds a lease
    # it keeps renewing; only the holder of the current attempt may finish the row, and a
    # lease that lapses (the process died) lets the sweeper queue the job again.
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    cancel_requested: Mapped[bool] = mapped_column(Boolean, default=False)
