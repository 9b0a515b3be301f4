"""Payments tables: deposits, the provider events received about them (and about
payouts), payout intents (the withdrawal outbox) and deposit limits. Money columns are
BigInteger minor units of the row's currency."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
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


class Deposit(Base):
    """One deposit through one provider. `credited` is what the ledger has booked for it
    (only verified provider events raise it); `review` says why a person should look."""

    __tablename__ = "deposit"
    __table_args__ = (
        UniqueConstraint("provider", "provider_ref"),
        Index("ix_deposit_user_created", "user_id", "created_at"),
        CheckConstraint("amount > 0 AND credited >= 0 AND credited <= amount", name="amounts"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    provider: Mapped[str] = mapped_column(String(16))
    amount: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(8))
    status: Mapped[str] = mapped_column(String(16), index=True)
    credited: Mapped[int] = mapped_column(BigInteger, default=0)
    # The provider's id (Stripe PaymentIntent, NOWPayments payment id); None until created.
    provider_ref: Mapped[str | None] = mapped_column(String(128), nullable=True)
    # What the payer needs (Stripe's client secret; a crypto address and amount).
    instructions: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    review: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class PaymentEvent(Base):
    """Every verified provider event, once: (provider, event_key) is unique, so a replay
    is refused by the database itself. `event_key` is the provider's event id (Stripe) or
    payment id + status + amount paid (NOWPayments, whose IPNs carry no id)."""

    __tablename__ = "payment_event"
    __table_args__ = (UniqueConstraint("provider", "event_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    provider: Mapped[str] = mapped_column(String(16))
    event_key: Mapped[str] = mapped_column(String(200))
    event_type: Mapped[str] = mapped_column(String(64))
    provider_ref: Mapped[str | None] = mapped_column(String(128), nullable=True, index=True)
    deposit_id: Mapped[int | None] = mapped_column(ForeignKey("deposit.id"), nullable=True)
    payout_id: Mapped[int | None] = mapped_column(ForeignKey("payout_intent.id"), nullable=True)
    decision: Mapped[str] = mapped_column(String(16))  # applied | no_change | closed | ...
    note: Mapped[str | None] = mapped_column(Text, nullable=True)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class PayoutIntent(Base):
    """A withdrawal: the outbox row a worker sends to the provider, with its id as the
    provider's idempotency key, retried with backoff until the provider answers."""

    __tablename__ = "payout_intent"
    __table_args__ = (
        Index("ix_payout_intent_due", "status", "next_attempt_at"),
        CheckConstraint("amount > 0", name="amount_positive"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"), index=True)
    provider: Mapped[str] = mapped_column(String(16))
    amount: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(8))
    destination: Mapped[str] = mapped_column(String(128))
    status: Mapped[str] = mapped_column(String(24))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    provider_ref: Mapped[str | None] = mapped_column(String(128), nullable=True, index=True)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"), nullable=True)
    note: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class DepositLimit(Base):
    """A user's deposit limit for one period (domain/responsible.py): `amount` now, and a
    raise that applies from `next_from`."""

    __tablename__ = "deposit_limit"

    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"), primary_key=True)
    period: Mapped[str] = mapped_column(String(8), primary_key=True)
    amount: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    next_amount: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    next_from: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
