"""Betting tables: ledger accounts and entries, markets, outcomes, wagers, settlements,
and disputes (deposits and withdrawals: orm/payments.py). Money columns are BigInteger
minor units."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from streambet.adapters.orm.base import Base, UTCDateTime, utcnow

# SQLite only auto-increments an INTEGER PRIMARY KEY; PostgreSQL gets a 64-bit key.
BigId = BigInteger().with_variant(Integer(), "sqlite")


class LedgerAccount(Base):
    """`code` names the account ("wallet:7", "pool:3", "house"); `balance` is a cache of the
    sum of its entries, kept in the same transaction and checked by `ledger verify`."""

    __tablename__ = "ledger_account"
    __table_args__ = (
        CheckConstraint(
            "kind IN ('mint', 'provider') OR balance >= 0", name="balance_not_negative"
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    kind: Mapped[str] = mapped_column(String(16))
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("app_user.id", ondelete="RESTRICT"), nullable=True, index=True
    )
    balance: Mapped[int] = mapped_column(BigInteger, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class LedgerEntry(Base):
    """One leg of a movement. Two legs per movement summing to zero; (movement, account)
    is unique so a replayed movement cannot be booked twice."""

    __tablename__ = "ledger_entry"
    __table_args__ = (
        UniqueConstraint("movement", "account_id"),
        Index("ix_ledger_entry_account_market", "account_id", "market_id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    movement: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(16))
    account_id: Mapped[int] = mapped_column(ForeignKey("ledger_account.id"))
    amount: Mapped[int] = mapped_column(BigInteger)
    market_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    wager_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True, index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Market(Base):
    __tablename__ = "market"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    question: Mapped[str] = mapped_column(String(200))
    # The footage: an analysis id (the foreign key is added when analyses are merged in).
    analysis_id: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)
    # What settles it: "engine" (its footage's evidence) or "client" (reported labels,
    # always through review); domain.markets.Evidence.
    evidence: Mapped[str] = mapped_column(String(16), default="engine")
    # Opened on footage the engine had already looked at (allowed only with
    # STREAMBET_MARKETS_ON_ANALYSED_FOOTAGE=disclose, and then shown to bettors).
    footage_analysed_before_open: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str] = mapped_column(String(16), index=True)
    takeout_bp: Mapped[int] = mapped_column(Integer)
    min_stake: Mapped[int] = mapped_column(BigInteger)
    max_stake: Mapped[int] = mapped_column(BigInteger)
    opens_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    closes_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    created_by: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    locked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # None with status resolved/canceled means void: every stake refunded.
    winning_outcome_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    dispute_deadline: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    paid_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True, index=True)
    takeout_amount: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    breakage_amount: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    note: Mapped[str | None] = mapped_column(Text, nullable=True)


class MarketOutcome(Base):
    __tablename__ = "market_outcome"
    __table_args__ = (UniqueConstraint("market_id", "position"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    market_id: Mapped[int] = mapped_column(ForeignKey("market.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(40))
    criteria: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    pool: Mapped[int] = mapped_column(BigInteger, default=0)
    wager_count: Mapped[int] = mapped_column(Integer, default=0)


class Wager(Base):
    __tablename__ = "wager"
    __table_args__ = (
        UniqueConstraint("user_id", "idempotency_key"),
        Index("ix_wager_market_outcome", "market_id", "outcome_id"),
        CheckConstraint("stake > 0", name="stake_positive"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    market_id: Mapped[int] = mapped_column(ForeignKey("market.id"))
    outcome_id: Mapped[int] = mapped_column(ForeignKey("market_outcome.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"), index=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("ledger_account.id"))
    stake: Mapped[int] = mapped_column(BigInteger)
    idempotency_key: Mapped[str | None] = mapped_column(String(128), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Settlement(Base):
    """Every decision about a market, newest last: from evidence, an admin or a dispute."""

    __tablename__ = "settlement"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    market_id: Mapped[int] = mapped_column(ForeignKey("market.id", ondelete="CASCADE"), index=True)
    source: Mapped[str] = mapped_column(String(16))  # evidence | client | admin | dispute | cancel
    decision: Mapped[str] = mapped_column(String(16))  # resolved | review | void
    outcome_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    confidence: Mapped[float | None] = mapped_column(nullable=True)
    reason: Mapped[str] = mapped_column(Text, default="")
    evidence: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    model_version: Mapped[str | None] = mapped_column(String(128), nullable=True)
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Dispute(Base):
    __tablename__ = "dispute"
    __table_args__ = (UniqueConstraint("market_id", "user_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    market_id: Mapped[int] = mapped_column(ForeignKey("market.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    reason: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16))  # open | upheld | overturned
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"), nullable=True)
    decision_note: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
