"""Reads and records shared by deposits and withdrawals: a bettor's own rows, and the
payment-event log every verified provider event lands in exactly once."""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol, TypeVar

from sqlalchemy import select
from sqlalchemy.orm import InstrumentedAttribute, Session

from streambet.adapters.orm.payments import PaymentEvent
from streambet.adapters.payments.ports import ProviderEvent
from streambet.domain.errors import NotFound
from streambet.services.payment_policy import EventResult
from streambet.services.unit_of_work import UnitOfWork


class _Owned(Protocol):
    id: InstrumentedAttribute[int]
    user_id: InstrumentedAttribute[int]


Row = TypeVar("Row")
Out = TypeVar("Out")


def own_rows(
    uow: UnitOfWork,
    model: type[Row],
    user_id: int,
    read: Callable[[Session, Row], Out],
    limit: int = 50,
) -> list[Out]:
    """The bettor's rows of `model`, newest first."""
    table: _Owned = model  # type: ignore[assignment]
    with uow:
        rows = uow.session.scalars(
            select(model).where(table.user_id == user_id).order_by(table.id.desc()).limit(limit)
        ).all()
        return [read(uow.session, r) for r in rows]


def own_row(
    uow: UnitOfWork,
    model: type[Row],
    user_id: int,
    row_id: int,
    read: Callable[[Session, Row], Out],
    noun: str,
) -> Out:
    """One of the bettor's rows; another bettor's is as absent as a missing one."""
    with uow:
        row = uow.session.get(model, row_id)
        if row is None or getattr(row, "user_id", None) != user_id:
            raise NotFound(f"No {noun} {row_id}.")
        return read(uow.session, row)


def record_event(
    session: Session,
    provider: str,
    event: ProviderEvent,
    decision: str,
    note: str | None,
    *,
    deposit_id: int | None = None,
    payout_id: int | None = None,
) -> EventResult:
    """Log a verified provider event with what it did (its key is unique: a replay is
    refused by the database, not applied twice)."""
    session.add(
        PaymentEvent(
            provider=provider,
            event_key=event.key,
            event_type=event.type,
            provider_ref=event.provider_ref,
            deposit_id=deposit_id,
            payout_id=payout_id,
            decision=decision,
            note=note,
            payload=event.payload,
        )
    )
    session.flush()
    return EventResult(decision, deposit_id=deposit_id, payout_id=payout_id, note=note)
