"""Market rules: the lifecycle, outcome and limit validation, and what a wager may be.

open -> locked -> resolved (a dispute window runs, then payouts) or canceled (refunds);
`review` sits between locked and resolved when the evidence is not decisive, and
`disputed` between resolved and payout while an admin looks at a complaint.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from streambet.domain.accounts import Role
from streambet.domain.errors import Conflict, PermissionDenied, ValidationFailed
from streambet.domain.money import BASIS_POINTS, MAX_AMOUNT

MIN_OUTCOMES = 2
MAX_OUTCOMES = 10
MAX_QUESTION = 200
MAX_OUTCOME_TITLE = 40
MAX_TAKEOUT_BP = 5_000  # half the pool: anything above is not a market, it is a tax


class MarketStatus(StrEnum):
    OPEN = "open"
    LOCKED = "locked"
    REVIEW = "review"
    RESOLVED = "resolved"
    DISPUTED = "disputed"
    CANCELED = "canceled"


S = MarketStatus
TRANSITIONS: dict[MarketStatus, frozenset[MarketStatus]] = {
    S.OPEN: frozenset({S.LOCKED, S.CANCELED}),
    S.LOCKED: frozenset({S.REVIEW, S.RESOLVED, S.CANCELED}),
    S.REVIEW: frozenset({S.RESOLVED, S.CANCELED}),
    S.RESOLVED: frozenset({S.DISPUTED, S.CANCELED}),
    S.DISPUTED: frozenset({S.RESOLVED, S.CANCELED}),
    S.CANCELED: frozenset(),
}


def check_transition(current: str, target: MarketStatus, *, paid: bool = False) -> None:
    status = MarketStatus(current)
    if paid:
        raise Conflict("This market has already paid out; it cannot change.", code="market_paid")
    if target not in TRANSITIONS[status]:
        raise Conflict(
            f"A {status.value} market cannot become {target.value}.",
            code="invalid_transition",
            details={"status": status.value, "target": target.value},
        )


@dataclass(frozen=True)
class MarketTerms:
    question: str
    outcome_titles: tuple[str, ...]
    takeout_bp: int
    min_stake: int
    max_stake: int
    opens_at: datetime | None
    closes_at: datetime | None


def check_terms(
    question: str,
    outcome_titles: Sequence[str],
    takeout_bp: int,
    min_stake: int,
    max_stake: int,
    opens_at: datetime | None = None,
    closes_at: datetime | None = None,
) -> MarketTerms:
    question = question.strip()
    if not 1 <= len(question) <= MAX_QUESTION:
        raise ValidationFailed(
            f"The question needs 1 to {MAX_QUESTION} characters.", details={"field": "question"}
        )
    titles = tuple(t.strip() for t in outcome_titles)
    if not MIN_OUTCOMES <= len(titles) <= MAX_OUTCOMES:
        raise ValidationFailed(
            f"A market has {MIN_OUTCOMES} to {MAX_OUTCOMES} outcomes.",
            details={"field": "outcomes"},
        )
    if any(not 1 <= len(t) <= MAX_OUTCOME_TITLE for t in titles):
        raise ValidationFailed(
            f"Outcome titles need 1 to {MAX_OUTCOME_TITLE} characters.",
            details={"field": "outcomes"},
        )
    if len({t.casefold() for t in titles}) != len(titles):
        raise ValidationFailed("Outcome titles must differ.", details={"field": "outcomes"})
    if not 0 <= takeout_bp <= MAX_TAKEOUT_BP:
        raise ValidationFailed(
            f"Takeout is 0 to {MAX_TAKEOUT_BP} basis points.", details={"field": "takeout_bp"}
        )
    if not 1 <= min_stake <= max_stake <= MAX_AMOUNT:
        raise ValidationFailed(
            "Stakes need 1 <= min_stake <= max_stake.", details={"field": "min_stake"}
        )
    if opens_at and closes_at and closes_at <= opens_at:
        raise ValidationFailed(
            "The market must close after it opens.", details={"field": "closes_at"}
        )
    assert takeout_bp <= BASIS_POINTS
    return MarketTerms(question, titles, takeout_bp, min_stake, max_stake, opens_at, closes_at)


def check_wager(
    status: str,
    stake: int,
    min_stake: int,
    max_stake: int,
    now: datetime,
    opens_at: datetime | None,
    closes_at: datetime | None,
) -> None:
    if status != MarketStatus.OPEN:
        raise Conflict(f"This market is {status}; it takes no wagers.", code="market_not_open")
    if opens_at is not None and now < opens_at:
        raise Conflict("This market has not opened yet.", code="market_not_open")
    if closes_at is not None and now >= closes_at:
        raise Conflict("This market has closed.", code="market_not_open")
    if not min_stake <= stake <= max_stake:
        raise ValidationFailed(
            f"Stakes on this market are {min_stake} to {max_stake}.",
            details={"field": "stake", "min": min_stake, "max": max_stake},
        )


def check_manager(created_by: int, user_id: int, role: Role) -> None:
    """Only the operator who created a market (or an admin) may lock, cancel or settle it."""
    if role is not Role.ADMIN and created_by != user_id:
        raise PermissionDenied(
            "Only the operator who created this market (or an admin) may do that."
        )
