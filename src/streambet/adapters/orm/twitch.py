"""Twitch Predictions mirroring: a stream's channel (opt-in, token encrypted) and the
prediction each of its live markets got (or why not)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from streambet.adapters.orm.base import Base, UTCDateTime, utcnow


class TwitchChannel(Base):
    __tablename__ = "twitch_channel"

    stream_id: Mapped[int] = mapped_column(
        ForeignKey("stream.id", ondelete="CASCADE"), primary_key=True
    )
    broadcaster_id: Mapped[str] = mapped_column(String(64))
    # A user access token with channel:manage:predictions, sealed (adapters/token_box.py).
    token_sealed: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class TwitchPrediction(Base):
    """One per live market on a connected stream; `status` is domain.twitch.Mirror."""

    __tablename__ = "twitch_prediction"
    __table_args__ = (Index("ix_twitch_prediction_stream_status", "stream_id", "status"),)

    market_id: Mapped[int] = mapped_column(
        ForeignKey("market.id", ondelete="CASCADE"), primary_key=True
    )
    stream_id: Mapped[int] = mapped_column(ForeignKey("stream.id", ondelete="CASCADE"))
    prediction_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    # Our outcome id (as a string key) -> Twitch's outcome id.
    outcome_ids: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    status: Mapped[str] = mapped_column(String(10))
    reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
