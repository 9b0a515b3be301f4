"""Responsible gambling: deposit limits, self-exclusion, and the checks that enforce them
in the deposit and wager use cases (the rules: domain/responsible.py)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime

from pydantic import BaseModel
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from streambet.adapters.orm.accounts import User
from streambet.adapters.orm.payments import Deposit, DepositLimit
from streambet.domain.errors import NotFound
from streambet.domain.payments import DepositStatus
from streambet.domain.responsible import (
    Limit,
    LimitPeriod,
    change_limit,
    check_deposit,
    check_not_excluded,
    exclusion_end,
)
from streambet.services.read_models import OptionalEpochMs, ReadModel
from streambet.services.unit_of_work import UnitOfWork


class LimitRead(ReadModel):
    period: LimitPeriod
    amount: int | None  # in force now; None: no limit
    next_amount: int | None  # a raise waiting for its 24 hours (None with next_from: removal)
    next_from_ms: OptionalEpochMs  # when it applies; None: nothing waiting
    used: int  # deposited (or on its way) in the period's window


class ResponsibleRead(BaseModel):
    limits: list[LimitRead]
    excluded_until_ms: int | None


def _limits(session: Session, user_id: int) -> dict[LimitPeriod, Limit]:
    rows = session.scalars(select(DepositLimit).where(DepositLimit.user_id == user_id))
    found = {
        LimitPeriod(r.period): Limit(LimitPeriod(r.period), r.amount, r.next_amount, r.next_from)
        for r in rows
    }
    return {p: found.get(p, Limit(p, None)) for p in LimitPeriod}


def _deposited(session: Session, user_id: int, now: datetime) -> dict[LimitPeriod, int]:
    """What counts against the limits: deposits started in each window that have not
    failed (so a pile of unpaid payments cannot pass a limit either)."""
    out = {}
    for period in LimitPeriod:
        out[period] = int(
            session.scalar(
                select(func.coalesce(func.sum(Deposit.amount), 0)).where(
                    Deposit.user_id == user_id,
                    Deposit.created_at >= now - period.window,
                    Deposit.status != DepositStatus.FAILED.value,
                )
            )
            or 0
        )
    return out


def _user(session: Session, user_id: int, *, lock: bool = False) -> User:
    stmt = select(User).where(User.id == user_id)
    user = session.scalar(stmt.with_for_update() if lock else stmt)
    if user is None:
        raise NotFound(f"No user {user_id}.")
    return user


def check_may_deposit(session: Session, user_id: int, amount: int, now: datetime) -> None:
    """Inside the deposit's transaction, with the user's row locked so two deposits at
    once cannot both fit under one limit."""
    user = _user(session, user_id, lock=True)
    check_not_excluded(user.excluded_until, now, "deposits")
    check_deposit(
        amount, list(_limits(session, user_id).values()), _deposited(session, user_id, now), now
    )


def _read(session: Session, user_id: int, now: datetime) -> ResponsibleRead:
    user = _user(session, user_id)
    used = _deposited(session, user_id, now)
    limits = [
        LimitRead.model_validate(
            {
                "period": lim.period,
                "amount": lim.settled(now).amount,
                "next_amount": lim.settled(now).next_amount,
                "next_from_ms": lim.settled(now).next_from,
                "used": used[lim.period],
            }
        )
        for lim in _limits(session, user_id).values()
    ]
    until = user.excluded_until if user.excluded_until and user.excluded_until > now else None
    return ResponsibleRead(
        limits=limits, excluded_until_ms=int(until.timestamp() * 1000) if until else None
    )


def settings_of(uow: UnitOfWork, user_id: int, now: datetime | None = None) -> ResponsibleRead:
    with uow:
        return _read(uow.session, user_id, now or datetime.now(UTC))


def set_limits(
    uow: UnitOfWork,
    user_id: int,
    wanted: Mapping[LimitPeriod, int | None],
    now: datetime | None = None,
) -> ResponsibleRead:
    """Asks for new limits: stricter ones apply at once, looser ones after 24 hours."""
    now = now or datetime.now(UTC)
    with uow:
        session = uow.session
        _user(session, user_id, lock=True)
        current = _limits(session, user_id)
        for period, amount in wanted.items():
            changed = change_limit(current[period], amount, now)
            row = session.get(DepositLimit, (user_id, period.value))
            if row is None:
                row = DepositLimit(user_id=user_id, period=period.value)
                session.add(row)
            row.amount, row.next_amount, row.next_from = (
                changed.amount,
                changed.next_amount,
                changed.next_from,
            )
        session.flush()
        result = _read(session, user_id, now)
        uow.commit()
    return result


def self_exclude(
    uow: UnitOfWork, user_id: int, days: int, now: datetime | None = None
) -> ResponsibleRead:
    """No wagers or deposits for `days` from now; an exclusion can be extended, never
    shortened."""
    now = now or datetime.now(UTC)
    with uow:
        session = uow.session
        user = _user(session, user_id, lock=True)
        current = user.excluded_until if user.excluded_until and user.excluded_until > now else None
        user.excluded_until = exclusion_end(current, days, now)
        session.flush()
        result = _read(session, user_id, now)
        uow.commit()
    return result
