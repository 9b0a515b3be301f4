"""Responsible-gambling rules: deposit limits, self-exclusion and the minimum age.

Deposit limits are per rolling day (24 h), week (7 days) and month (30 days). Lowering a
limit (or setting one where there was none) takes effect at once; raising or removing one
takes effect only after a 24-hour cooling period, so a moment's impulse cannot lift it.
Self-exclusion stops wagers and deposits until it ends and cannot be shortened or lifted
early; withdrawals stay allowed. Sign-up needs a date of birth at least 18 years back.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum

from streambet.domain.errors import PermissionDenied, ValidationFailed
from streambet.domain.money import check_amount

MINIMUM_AGE = 18
RAISE_DELAY = timedelta(hours=24)
MAX_EXCLUSION_DAYS = 5 * 365


class LimitPeriod(StrEnum):
    DAY = "day"
    WEEK = "week"
    MONTH = "month"

    @property
    def window(self) -> timedelta:
        return {"day": timedelta(days=1), "week": timedelta(days=7), "month": timedelta(days=30)}[
            self.value
        ]


@dataclass(frozen=True)
class Limit:
    """One period's limit: `amount` now (None: no limit), and a raise waiting to apply."""

    period: LimitPeriod
    amount: int | None
    next_amount: int | None = None
    next_from: datetime | None = None  # when `next_amount` applies; None: nothing waiting

    def effective(self, now: datetime) -> int | None:
        if self.next_from is not None and now >= self.next_from:
            return self.next_amount
        return self.amount

    def settled(self, now: datetime) -> Limit:
        """The same limit with a due change applied."""
        if self.next_from is not None and now >= self.next_from:
            return Limit(self.period, self.next_amount)
        return self


def _looser(new: int | None, old: int | None) -> bool:
    if old is None:
        return False
    return new is None or new > old


def change_limit(current: Limit, new: int | None, now: datetime) -> Limit:
    """The limit after asking for `new`: at once when it is stricter, after RAISE_DELAY
    when it is looser (a waiting raise is replaced by the newest request)."""
    if new is not None:
        check_amount(new, str(current.period))  # a positive amount within the books' range
    settled = current.settled(now)
    if _looser(new, settled.amount):
        return Limit(settled.period, settled.amount, new, now + RAISE_DELAY)
    return Limit(settled.period, new)


def check_deposit(
    amount: int, limits: list[Limit], deposited: dict[LimitPeriod, int], now: datetime
) -> None:
    """Refuses a deposit of `amount` that would take a period's deposits over its limit;
    `deposited` is what was deposited (or is on its way) in each period's window."""
    for limit in limits:
        cap = limit.effective(now)
        if cap is None:
            continue
        used = deposited.get(limit.period, 0)
        if used + amount > cap:
            raise PermissionDenied(
                f"That deposit would pass your {limit.period.value} deposit limit.",
                code="deposit_limit",
                details={"period": limit.period.value, "limit": cap, "used": used},
            )


def check_not_excluded(excluded_until: datetime | None, now: datetime, action: str) -> None:
    """Self-excluded accounts may not wager or deposit until the exclusion ends."""
    if excluded_until is not None and now < excluded_until:
        raise PermissionDenied(
            f"Your account is self-excluded until {excluded_until.isoformat()}: no {action}.",
            code="self_excluded",
            details={"until": excluded_until.isoformat()},
        )


def exclusion_end(current: datetime | None, days: int, now: datetime) -> datetime:
    """When a self-exclusion of `days` asked for now ends; it can only be extended."""
    if not 1 <= days <= MAX_EXCLUSION_DAYS:
        raise ValidationFailed(
            f"A self-exclusion lasts 1 to {MAX_EXCLUSION_DAYS} days.", details={"field": "days"}
        )
    end = now + timedelta(days=days)
    return max(end, current) if current is not None else end


def age_on(birth: date, today: date) -> int:
    years = today.year - birth.year
    return years - 1 if (today.month, today.day) < (birth.month, birth.day) else years


def check_age(birth: date, today: date) -> None:
    if birth > today:
        raise ValidationFailed(
            "That date of birth is in the future.", details={"field": "birth_date"}
        )
    if age_on(birth, today) < MINIMUM_AGE:
        raise ValidationFailed(
            f"You must be {MINIMUM_AGE} or older to open an account.",
            code="under_age",
            details={"field": "birth_date"},
        )
