"""Market use cases: create, read, list, lock (by hand or when due)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from pydantic import Field
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from streambet.adapters.orm.accounts import User
from streambet.adapters.orm.analyses import Analysis
from streambet.adapters.orm.betting import Market, MarketOutcome, Settlement
from streambet.domain.accounts import Principal, Role
from streambet.domain.criteria import (
    FootageVocabulary,
    LabelVocabulary,
    label_names,
    parse_criteria,
    to_dict,
)
from streambet.domain.errors import NotFound, ValidationFailed
from streambet.domain.ledger import AccountKind, pool_code
from streambet.domain.markets import (
    ANALYSED_BEFORE_OPEN,
    Evidence,
    FootagePolicy,
    MarketStatus,
    check_evidence,
    check_manager,
    check_terms,
    check_transition,
    footage_analysed_before_open,
)
from streambet.domain.pools import decimal_odds
from streambet.services import events, ledger
from streambet.services.read_models import EpochMs, OptionalEpochMs, ReadModel, read
from streambet.services.unit_of_work import UnitOfWork, UnitOfWorkFactory
from streambet.timeline import LabelInfo


class OutcomeRead(ReadModel):
    id: int
    title: str
    criteria: dict[str, Any] | None
    pool: int
    wagers: int = Field(validation_alias="wager_count")
    odds: float | None


class SettlementRead(ReadModel):
    source: str
    decision: str
    outcome_id: int | None
    confidence: float | None
    reason: str
    evidence: dict[str, Any] | None
    model_version: str | None
    decided_at_ms: EpochMs = Field(validation_alias="created_at")
    decided_by_name: str | None = Field(
        description="The person who decided (an admin's ruling, a cancel), or null for the engine"
    )


class MarketRead(ReadModel):
    id: int
    question: str
    status: str
    analysis_id: str | None
    evidence: Evidence = Field(
        description='What settles it: "engine" (its footage\'s evidence) or "client"'
        " (labels reported to POST /api/resolve, always through an admin's review)"
    )
    footage_analysed_before_open: bool
    disclosure: str | None = Field(
        description="What bettors must know before staking (footage analysed before betting"
        " opened), or null"
    )
    takeout_bp: int
    min_stake: int
    max_stake: int
    opens_at_ms: OptionalEpochMs = Field(validation_alias="opens_at")
    closes_at_ms: OptionalEpochMs = Field(validation_alias="closes_at")
    created_at_ms: EpochMs = Field(validation_alias="created_at")
    creator: str = Field(description="Display name of the operator who made the market")
    pool: int
    outcomes: list[OutcomeRead]
    winning_outcome_id: int | None
    dispute_deadline_ms: OptionalEpochMs = Field(validation_alias="dispute_deadline")
    paid_at_ms: OptionalEpochMs = Field(validation_alias="paid_at")
    takeout_amount: int | None = Field(description="Taken by the house at payout, or null")
    breakage_amount: int | None = Field(
        description="Left by rounding each payout down, to the house at payout, or null"
    )
    settlement: SettlementRead | None
    engine_settlement: SettlementRead | None = Field(
        description="The engine's latest decision from the evidence, kept beside a person's"
        " later ruling (the same as `settlement` when the engine decided last), or null"
    )


@dataclass(frozen=True)
class OutcomeDraft:
    title: str
    criteria: dict[str, Any] | None = None


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


# Sources whose settlements carry the engine's evidence (the others are people's decisions).
ENGINE_SOURCES = ("evidence", "client")


def latest_engine_settlement(session: Session, market_id: int) -> Settlement | None:
    return session.scalar(
        select(Settlement)
        .where(Settlement.market_id == market_id, Settlement.source.in_(ENGINE_SOURCES))
        .order_by(Settlement.id.desc())
        .limit(1)
    )


def _name(session: Session, user_id: int | None) -> str | None:
    # session.get: the identity map answers repeats (one creator, many markets) for free.
    user = None if user_id is None else session.get(User, user_id)
    return None if user is None else user.display_name


def settlement_read(session: Session, row: Settlement | None) -> SettlementRead | None:
    if row is None:
        return None
    return read(SettlementRead, row, decided_by_name=_name(session, row.decided_by))


def market_read(session: Session, market: Market) -> MarketRead:
    """The market as the API shows it: its row, plus its pool and live odds (from its
    outcomes), its creator, its latest settlement and, beside a person's ruling, the
    engine's (a human ruling is recorded beside the engine's evidence, never instead)."""
    outcomes = outcomes_of(session, market.id)
    odds = decimal_odds({o.id: o.pool for o in outcomes}, market.takeout_bp)
    settlement = latest_settlement(session, market.id)
    engine = settlement
    if settlement is not None and settlement.source not in ENGINE_SOURCES:
        engine = latest_engine_settlement(session, market.id)
    return read(
        MarketRead,
        market,
        disclosure=ANALYSED_BEFORE_OPEN if market.footage_analysed_before_open else None,
        creator=_name(session, market.created_by) or "",
        pool=sum(o.pool for o in outcomes),
        outcomes=[read(OutcomeRead, o, odds=odds[o.id]) for o in outcomes],
        settlement=settlement_read(session, settlement),
        engine_settlement=settlement_read(session, engine),
    )


def changed(uow: UnitOfWork, market: Market) -> MarketRead:
    """Ends a use case that changed `market`: its new state, announced once the
    transaction commits (the caller commits)."""
    uow.session.flush()
    uow.emit(
        events.STATUS,
        {
            "market_id": market.id,
            "status": market.status,
            "winning_outcome_id": market.winning_outcome_id,
        },
    )
    return market_read(uow.session, market)


def load_managed(session: Session, market_id: int, by: Principal | None) -> Market:
    """The market, locked for update, if `by` may manage it (None: the periodic job)."""
    market = load_market(session, market_id, lock=True)
    if by is not None:
        check_manager(market.created_by, by.user_id, by.role)
    return market


def _footage(
    session: Session,
    vocabulary: LabelVocabulary,
    by: Principal,
    analysis_id: str,
    policy: FootagePolicy,
) -> tuple[LabelVocabulary, bool]:
    """A market is only built on your own footage (an admin's: anyone's), since it makes
    that footage's evidence visible to every bettor once it locks; and only on footage the
    engine has not looked at yet, unless `policy` allows it with a disclosure (returned:
    whether the market must carry it). On footage already analysed, the labels its engine
    reported become known to the criteria."""
    row = session.get(Analysis, analysis_id, with_for_update={"read": True})
    if row is None or (row.user_id != by.user_id and by.role is not Role.ADMIN):
        raise NotFound("No such analysis among yours.", details={"field": "analysis_id"})
    analysed = footage_analysed_before_open(row.status, policy)
    labels = (row.timeline or {}).get("labels") or {}
    if not labels:
        return vocabulary, analysed
    seen = {k: LabelInfo.from_dict(v) for k, v in labels.items()}
    return FootageVocabulary(vocabulary, seen), analysed


def _parse_outcomes(
    outcomes: Sequence[OutcomeDraft], vocabulary: LabelVocabulary
) -> list[dict[str, Any] | None]:
    """Outcomes without criteria are "otherwise" outcomes; at most one is allowed when any
    outcome has criteria, so the engine always knows what "nothing happened" means."""
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
    return parsed


@dataclass(frozen=True)
class CriteriaCheck:
    settles: str  # "engine" | "review"
    unmeasured_labels: list[str]
    message: str


def check_criteria(
    outcomes: Sequence[OutcomeDraft],
    vocabulary: LabelVocabulary,
    measured: Callable[[str], bool] | None,
) -> CriteriaCheck:
    """Before a market is made: are its criteria valid (raises as creation would), and can
    the engine settle them by itself? `measured`: the configured engine's settleable
    labels (None: it settles on every label)."""
    parsed = _parse_outcomes(outcomes, vocabulary)
    names = [n for c in parsed if c is not None for n in label_names(parse_criteria(c, vocabulary))]
    unmeasured = [] if measured is None else [n for n in dict.fromkeys(names) if not measured(n)]
    if unmeasured:
        return CriteriaCheck(
            "review",
            unmeasured,
            "Accepted, but always settled by a person: the engine's precision is not measured"
            f" for {', '.join(unmeasured)}.",
        )
    return CriteriaCheck("engine", [], "The engine settles this market from its evidence.")


def create_market(
    uow: UnitOfWork,
    vocabulary: LabelVocabulary,
    by: Principal,
    question: str,
    outcomes: Sequence[OutcomeDraft],
    *,
    analysis_id: str | None = None,
    evidence: Evidence = Evidence.ENGINE,
    footage_policy: FootagePolicy = FootagePolicy.REFUSE,
    takeout_bp: int = 500,
    min_stake: int = 1,
    max_stake: int = 100_000,
    opens_at: datetime | None = None,
    closes_at: datetime | None = None,
    attach: Callable[[Session, Market], None] | None = None,
) -> MarketRead:
    """`attach` adds what a kind of market keeps beside its row (a live market's window),
    in the same transaction."""
    check_evidence(evidence, analysis_id)
    analysed = False
    with uow:
        session = uow.session
        if analysis_id is not None:
            vocabulary, analysed = _footage(session, vocabulary, by, analysis_id, footage_policy)
        terms = check_terms(
            question,
            [o.title for o in outcomes],
            takeout_bp,
            min_stake,
            max_stake,
            opens_at,
            closes_at,
        )
        parsed = _parse_outcomes(outcomes, vocabulary)
        market = Market(
            question=terms.question,
            analysis_id=analysis_id,
            evidence=evidence.value,
            footage_analysed_before_open=analysed,
            status=MarketStatus.OPEN.value,
            takeout_bp=terms.takeout_bp,
            min_stake=terms.min_stake,
            max_stake=terms.max_stake,
            opens_at=terms.opens_at,
            closes_at=terms.closes_at,
            created_by=by.user_id,
            created_at=datetime.now(UTC),
        )
        session.add(market)
        session.flush()
        ledger.ensure_account(session, pool_code(market.id), AccountKind.POOL)
        for position, (title, criteria) in enumerate(
            zip(terms.outcome_titles, parsed, strict=True)
        ):
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
        if attach is not None:
            attach(session, market)
        result = changed(uow, market)
        uow.commit()
    return result


def get_market(uow: UnitOfWork, market_id: int) -> MarketRead:
    with uow:
        return market_read(uow.session, load_market(uow.session, market_id))


def list_markets(
    uow: UnitOfWork,
    *,
    status: str | None = None,
    analysis_id: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[MarketRead], int]:
    stmt = select(Market)
    if status:
        stmt = stmt.where(Market.status == status)
    if analysis_id:
        stmt = stmt.where(Market.analysis_id == analysis_id)
    with uow:
        session = uow.session
        total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
        rows = session.scalars(stmt.order_by(Market.id.desc()).limit(limit).offset(offset))
        return [market_read(session, m) for m in rows], total


def lock_market(uow: UnitOfWork, market_id: int, *, by: Principal | None) -> MarketRead:
    """No more wagers. Takes the market row's write lock, so it waits for stakes in flight
    (they hold a shared lock on it) and no stake commits after it. `by`: the operator who
    made the market or an admin; None for the periodic job."""
    with uow:
        market = load_managed(uow.session, market_id, by)
        check_transition(market.status, MarketStatus.LOCKED)
        market.status = MarketStatus.LOCKED.value
        market.locked_at = datetime.now(UTC)
        result = changed(uow, market)
        uow.commit()
    return result


def lock_due_markets(write: UnitOfWorkFactory, read: UnitOfWorkFactory, now: datetime) -> list[int]:
    """Locks the open markets past their closing time, each in its own transaction;
    returns the ids it locked (one locked or canceled meanwhile by someone else is left)."""
    with read() as uow:
        due = list(
            uow.session.scalars(
                select(Market.id).where(
                    Market.status == MarketStatus.OPEN.value,
                    Market.closes_at.is_not(None),
                    Market.closes_at <= now,
                )
            )
        )
    locked = []
    for market_id in due:
        uow = write()
        with uow:
            market = load_market(uow.session, market_id, lock=True)
            if market.status != MarketStatus.OPEN:
                continue
            market.status = MarketStatus.LOCKED.value
            market.locked_at = datetime.now(UTC)
            changed(uow, market)
            uow.commit()
        locked.append(market_id)
    return locked
