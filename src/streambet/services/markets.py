"""Market use cases: create, read, list, lock, cancel, resolve by hand."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from streambet.adapters.orm.betting import Market, MarketOutcome, Settlement
from streambet.domain.criteria import LabelVocabulary, parse_criteria, to_dict
from streambet.domain.errors import NotFound, PermissionDenied, ValidationFailed
from streambet.domain.ledger import AccountKind, pool_code
from streambet.domain.markets import MarketStatus, check_terms, check_transition
from streambet.domain.pools import decimal_odds
from streambet.services import events, ledger
from streambet.services.events import Publish, no_publish
from streambet.services.unit_of_work import UnitOfWork


@dataclass(frozen=True)
class OutcomeDraft:
    title: str
    criteria: dict[str, Any] | None = None


@dataclass(frozen=True)
class OutcomeView:
    id: int
    title: str
    criteria: dict[str, Any] | None
    pool: int
    wagers: int
    odds: float | None


@dataclass(frozen=True)
class SettlementView:
    source: str
    decision: str
    outcome_id: int | None
    confidence: float | None
    reason: str
    evidence: dict[str, Any] | None
    model_version: str | None
    decided_at: datetime


@dataclass(frozen=True)
class MarketView:
    id: int
    question: str
    status: str
    analysis_id: str | None
    takeout_bp: int
    min_stake: int
    max_stake: int
    opens_at: datetime | None
    closes_at: datetime | None
    created_at: datetime
    pool: int
    outcomes: list[OutcomeView]
    winning_outcome_id: int | None
    dispute_deadline: datetime | None
    paid_at: datetime | None
    settlement: SettlementView | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def load_market(session: Session, market_id: int, *, lock: bool = False) -> Market:
    stmt = select(Market).where(Market.id == market_id)
    if lock:
        stmt = stmt.with_for_update()
    market = session.scalar(stmt)
    if market is None:
        raise NotFound(f"No market {market_id}.")
    return market


def outcomes_of(session: Session, market_id: int) -> list[MarketOutcome]:
    return list(
        session.scalars(
            select(MarketOutcome)
            .where(MarketOutcome.market_id == market_id)
            .order_by(MarketOutcome.position)
        )
    )


def latest_settlement(session: Session, market_id: int) -> Settlement | None:
    return session.scalar(
        select(Settlement)
        .where(Settlement.market_id == market_id)
        .order_by(Settlement.id.desc())
        .limit(1)
    )


def view(session: Session, market: Market) -> MarketView:
    outcomes = outcomes_of(session, market.id)
    odds = decimal_odds({o.id: o.pool for o in outcomes}, market.takeout_bp)
    s = latest_settlement(session, market.id)
    return MarketView(
        id=market.id,
        question=market.question,
        status=market.status,
        analysis_id=market.analysis_id,
        takeout_bp=market.takeout_bp,
        min_stake=market.min_stake,
        max_stake=market.max_stake,
        opens_at=market.opens_at,
        closes_at=market.closes_at,
        created_at=market.created_at,
        pool=sum(o.pool for o in outcomes),
        outcomes=[
            OutcomeView(o.id, o.title, o.criteria, o.pool, o.wager_count, odds[o.id])
            for o in outcomes
        ],
        winning_outcome_id=market.winning_outcome_id,
        dispute_deadline=market.dispute_deadline,
        paid_at=market.paid_at,
        settlement=None
        if s is None
        else SettlementView(
            s.source,
            s.decision,
            s.outcome_id,
            s.confidence,
            s.reason,
            s.evidence,
            s.model_version,
            s.created_at,
        ),
    )


def publish_status(publish: Publish, v: MarketView) -> None:
    publish(
        events.STATUS,
        {"market_id": v.id, "status": v.status, "winning_outcome_id": v.winning_outcome_id},
    )


def create_market(
    uow: UnitOfWork,
    vocabulary: LabelVocabulary,
    created_by: int,
    question: str,
    outcomes: Sequence[OutcomeDraft],
    *,
    analysis_id: str | None = None,
    takeout_bp: int = 500,
    min_stake: int = 1,
    max_stake: int = 100_000,
    opens_at: datetime | None = None,
    closes_at: datetime | None = None,
    publish: Publish = no_publish,
) -> MarketView:
    """Outcomes without criteria are "otherwise" outcomes; at most one is allowed when any
    outcome has criteria, so the engine always knows what "nothing happened" means."""
    terms = check_terms(
        question, [o.title for o in outcomes], takeout_bp, min_stake, max_stake, opens_at, closes_at
    )
    parsed: list[dict[str, Any] | None] = []
    for i, draft in enumerate(outcomes):
        if draft.criteria is None:
            parsed.append(None)
            continue
        try:
            parsed.append(to_dict(parse_criteria(draft.criteria, vocabulary)))
        except ValidationFailed as exc:
            field_path = (exc.details or {}).get("field", "criteria")
            raise ValidationFailed(
                exc.message, details={"field": f"outcomes.{i}.{field_path}"}
            ) from None
    if any(parsed) and sum(c is None for c in parsed) > 1:
        raise ValidationFailed(
            "With criteria on some outcomes, at most one outcome may have none (it wins when"
            " no criteria are met).",
            details={"field": "outcomes"},
        )
    session = uow.session
    market = Market(
        question=terms.question,
        analysis_id=analysis_id,
        status=MarketStatus.OPEN.value,
        takeout_bp=terms.takeout_bp,
        min_stake=terms.min_stake,
        max_stake=terms.max_stake,
        opens_at=terms.opens_at,
        closes_at=terms.closes_at,
        created_by=created_by,
        created_at=datetime.now(UTC),
    )
    session.add(market)
    session.flush()
    ledger.ensure_account(session, pool_code(market.id), AccountKind.POOL)
    for position, (title, criteria) in enumerate(zip(terms.outcome_titles, parsed, strict=True)):
        session.add(
            MarketOutcome(
                market_id=market.id,
                position=position,
                title=title,
                criteria=criteria,
                pool=0,
                wager_count=0,
            )
        )
    session.flush()
    v = view(session, market)
    uow.commit()
    publish_status(publish, v)
    return v


def check_manager(uow: UnitOfWork, market_id: int, user_id: int, is_admin: bool) -> None:
    """Only the operator who created a market (or an admin) may lock, cancel or settle it."""
    market = load_market(uow.session, market_id)
    if not is_admin and market.created_by != user_id:
        raise PermissionDenied(
            "Only the operator who created this market (or an admin) may do that."
        )


def get_market(uow: UnitOfWork, market_id: int) -> MarketView:
    return view(uow.session, load_market(uow.session, market_id))


def list_markets(
    uow: UnitOfWork,
    *,
    status: str | None = None,
    analysis_id: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[MarketView], int]:
    stmt = select(Market)
    if status:
        stmt = stmt.where(Market.status == status)
    if analysis_id:
        stmt = stmt.where(Market.analysis_id == analysis_id)
    total = uow.session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    rows = uow.session.scalars(stmt.order_by(Market.id.desc()).limit(limit).offset(offset))
    return [view(uow.session, m) for m in rows], total


def lock_market(uow: UnitOfWork, market_id: int, *, publish: Publish = no_publish) -> MarketView:
    """No more wagers. Takes the market row's write lock, so it waits for stakes in flight
    (they hold a shared lock on it) and no stake commits after it."""
    market = load_market(uow.session, market_id, lock=True)
    check_transition(market.status, MarketStatus.LOCKED)
    market.status = MarketStatus.LOCKED.value
    market.locked_at = datetime.now(UTC)
    uow.session.flush()
    v = view(uow.session, market)
    uow.commit()
    publish_status(publish, v)
    return v


def lock_due_markets(uow: UnitOfWork, now: datetime) -> list[int]:
    """Ids of open markets past their closing time (for a periodic job to lock)."""
    return list(
        uow.session.scalars(
            select(Market.id).where(
                Market.status == MarketStatus.OPEN.value,
                Market.closes_at.is_not(None),
                Market.closes_at <= now,
            )
        )
    )
