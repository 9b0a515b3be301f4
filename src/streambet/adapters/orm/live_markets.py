"""Live markets: a market's window on a stream, the in-play wagers held for their bet
delay, and the recurring templates that open a market every period."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from streambet.adapters.orm.base import Base, UTCDateTime, utcnow
from streambet.adapters.orm.betting import BigId


class LiveMarket(Base):
    """The live side of a market (one row per market on a stream). `template_id` and
    `period` are unique together: a template opens exactly one market per period, however
    many workers try at once."""

    __tablename__ = "live_market"
    __table_args__ = (
        UniqueConstraint("template_id", "period"),
        Index("ix_live_market_stream_window", "stream_id", "window_until_ms"),
    )

    market_id: Mapped[int] = mapped_column(
        ForeignKey("market.id", ondelete="CASCADE"), primary_key=True
    )
    stream_id: Mapped[int] = mapped_column(ForeignKey("stream.id", ondelete="CASCADE"))
    window_from_ms: Mapped[int] = mapped_column(BigInteger)
    window_until_ms: Mapped[int] = mapped_column(BigInteger)
    in_play: Mapped[bool] = mapped_column(Boolean, default=False)
    bet_delay_ms: Mapped[int] = mapped_column(Integer, default=0)
    gap_rule: Mapped[str] = mapped_column(String(8))  # domain.live_markets.GapRule
    # Set once the market is decided (or voided) from the stream: the sweep skips it.
    settled: Mapped[bool] = mapped_column(Boolean, default=False, index=True)
    template_id: Mapped[int | None] = mapped_column(
        ForeignKey("market_template.id", ondelete="SET NULL"), nullable=True
    )
    period: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    # The house's starting estimate of YES, and the observed rate it came from.
    estimate: Mapped[float | None] = mapped_column(Float, nullable=True)
    estimate_basis: Mapped[str | None] = mapped_column(Text, nullable=True)


class HeldWager(Base):
    """An in-play wager waiting out its bet delay: its stake moved from the wallet to the
    market's hold account; then it becomes a wager (`wager_id`) or goes back."""

    __tablename__ = "held_wager"
    __table_args__ = (
        UniqueConstraint("user_id", "idempotency_key"),
        Index("ix_held_wager_market_status", "market_id", "status"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    market_id: Mapped[int] = mapped_column(ForeignKey("market.id", ondelete="CASCADE"))
    outcome_id: Mapped[int] = mapped_column(ForeignKey("market_outcome.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"), index=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("ledger_account.id"))
    stake: Mapped[int] = mapped_column(BigInteger)
    idempotency_key: Mapped[str | None] = mapped_column(String(128), nullable=True)
    placed_ms: Mapped[int] = mapped_column(BigInteger)
    accept_after_ms: Mapped[int] = mapped_column(BigInteger)
    status: Mapped[str] = mapped_column(String(8))  # domain.live_markets.Hold
    reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    wager_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class MarketTemplate(Base):
    """ "Every `every_ms`: <question> in the next `window_ms`", with betting opening
    `lead_ms` before each window. Periods are counted from `anchor_ms`."""

    __tablename__ = "market_template"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    stream_id: Mapped[int] = mapped_column(ForeignKey("stream.id", ondelete="CASCADE"), index=True)
    created_by: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    question: Mapped[str] = mapped_column(String(200))
    label: Mapped[str] = mapped_column(String(128))
    min_confidence: Mapped[float] = mapped_column(Float)
    every_ms: Mapped[int] = mapped_column(BigInteger)
    window_ms: Mapped[int] = mapped_column(BigInteger)
    lead_ms: Mapped[int] = mapped_column(BigInteger)
    anchor_ms: Mapped[int] = mapped_column(BigInteger)
    gap_rule: Mapped[str] = mapped_column(String(8))
    takeout_bp: Mapped[int] = mapped_column(Integer)
    active: Mapped[bool] = mapped_column(Boolean, default=True, index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
