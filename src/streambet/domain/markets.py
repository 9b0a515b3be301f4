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
from streambet.domain.analyses import NOT_STARTED, AnalysisStatus
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


class Evidence(StrEnum):
    """What settles a market. `engine`: the engine's evidence of its own footage (the
    default, with or without footage yet). `client`: a market explicitly created without
    footage, for the original `POST /api/resolve` clients that report labels themselves;
    what they report never pays out directly, it goes to an admin's review."""

    ENGINE = "engine"
    CLIENT = "client"


class FootagePolicy(StrEnum):
    """A market on footage the engine has already looked at (STREAMBET_MARKETS_ON_ANALYSED_
    FOOTAGE): `refuse` it (the default: someone may know the answer before betting opens),
    or allow it and `disclose` that to bettors on the market."""

    REFUSE = "refuse"
    DISCLOSE = "disclose"


ANALYSED_BEFORE_OPEN = "The footage was analysed before betting opened."


def check_evidence(evidence: Evidence, analysis_id: str | None) -> None:
    if evidence is Evidence.CLIENT and analysis_id is not None:
        raise ValidationFailed(
            "A market settled from client-reported labels is one without footage: drop"
            " `analysis_id`, or let the engine's evidence settle it.",
            details={"field": "evidence"},
        )


def footage_analysed_before_open(status: str, policy: FootagePolicy) -> bool:
    """Whether a market opened now on footage whose analysis is `status` must carry the
    disclosure; a conflict when `policy` refuses such markets."""
    if AnalysisStatus(status) in NOT_STARTED:
        return False
    if policy is FootagePolicy.REFUSE:
        raise Conflict(
            "This footage has already been analysed, so its answer may be known before"
            " betting opens. Upload it with hold=true and open the markets before the"
            " analysis starts.",
            code="footage_already_analysed",
            details={"field": "analysis_id", "analysis_status": status},
        )
    return True


def evidence_sealed(market_statuses: Sequence[str]) -> bool:
    """A footage's evidence stays sealed from bettors while any market on it is open, and
    while no market is built on it at all (then it is nobody's business but its owner's)."""
    return not market_statuses or MarketStatus.OPEN.value in market_statuses
