"""Placing a wager: checked and written in one transaction, at most once per
Idempotency-Key.

The balance check is the debit itself (`UPDATE ... WHERE balance >= stake`), and the
market row is read with a shared lock (PostgreSQL; SQLite's write transactions are
serialised by BEGIN IMMEDIATE), so a stake never lands on a market that has just locked
and no two stakes spend the same money.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from streambet.adapters.orm.betting import Market, MarketOutcome, Wager
from streambet.domain.errors import Conflict, NotFound, ValidationFailed
from streambet.domain.ledger import AccountKind, MovementKind, pool_code, wallet_code
from streambet.domain.markets import check_wager
from streambet.domain.money import check_amount
from streambet.services import ledger
from streambet.services.events import Publish, no_publish
from streambet.services.markets import publish_odds, view
from streambet.services.unit_of_work import UnitOfWork

MAX_KEY = 128


@dataclass(frozen=True)
class WagerView:
    id: int
    market_id: int
    outcome_id: int
    user_id: int
    stake: int
    payout: int | None
    created_at: datetime
    replayed: bool = False
    balance: int | None = None


def _view(w: Wager, *, replayed: bool = False, balance: int | None = None) -> WagerView:
    return WagerView(
        w.id,
        w.market_id,
        w.outcome_id,
        w.user_id,
        w.stake,
        w.payout,
        w.created_at,
        replayed,
        balance,
    )


def _replay(
    session: Session, user_id: int, key: str, market_id: int, outcome_id: int, stake: int
) -> WagerView | None:
    found = session.scalar(
        select(Wager).where(Wager.user_id == user_id, Wager.idempotency_key == key)
    )
    if found is None:
        return None
    if (found.market_id, found.outcome_id, found.stake) != (market_id, outcome_id, stake):
        raise Conflict(
            "This Idempotency-Key was already used for a different wager.",
            code="idempotency_key_reused",
            details={"wager_id": found.id},
        )
    return _view(found, replayed=True, balance=ledger.balance_of(session, wallet_code(user_id)))


def place_wager(
    uow: UnitOfWork,
    user_id: int,
    market_id: int,
    outcome_id: int,
    stake: int,
    *,
    idempotency_key: str | None = None,
    now: datetime | None = None,
    publish: Publish = no_publish,
) -> WagerView:
    check_amount(stake, "stake")
    if idempotency_key is not None and not 1 <= len(idempotency_key) <= MAX_KEY:
        raise ValidationFailed(
            f"Idempotency-Key needs 1 to {MAX_KEY} characters.",
            details={"field": "Idempotency-Key"},
        )
    session = uow.session
    if idempotency_key is not None:
        replay = _replay(session, user_id, idempotency_key, market_id, outcome_id, stake)
        if replay is not None:
            return replay
    try:
        result = _place(session, user_id, market_id, outcome_id, stake, idempotency_key, now)
        uow.commit()
    except IntegrityError:
        # A concurrent request with the same key won (PostgreSQL); answer with its wager.
        session.rollback()
        if idempotency_key is None:
            raise
        replay = _replay(session, user_id, idempotency_key, market_id, outcome_id, stake)
        if replay is None:
            raise
        return replay
    market = session.get(Market, market_id)
    assert market is not None
    publish_odds(publish, view(session, market))
    return result


def _place(
    session: Session,
    user_id: int,
    market_id: int,
    outcome_id: int,
    stake: int,
    key: str | None,
    now: datetime | None,
) -> WagerView:
    market = session.scalar(select(Market).where(Market.id == market_id).with_for_update(read=True))
    if market is None:
        raise NotFound(f"No market {market_id}.")
    outcome = session.get(MarketOutcome, outcome_id)
    if outcome is None or outcome.market_id != market_id:
        raise ValidationFailed(
            "That outcome is not part of this market.", details={"field": "outcome_id"}
        )
    check_wager(
        market.status,
        stake,
        market.min_stake,
        market.max_stake,
        now or datetime.now(UTC),
        market.opens_at,
        market.closes_at,
    )
    wallet = ledger.ensure_account(session, wallet_code(user_id), AccountKind.WALLET, user_id)
    pool = ledger.ensure_account(session, pool_code(market_id), AccountKind.POOL)
    wager = Wager(
        market_id=market_id,
        outcome_id=outcome_id,
        user_id=user_id,
        account_id=wallet,
        stake=stake,
        idempotency_key=key,
        created_at=datetime.now(UTC),
    )
    session.add(wager)
    session.flush()
    ledger.post(
        session,
        f"stake:w{wager.id}",
        MovementKind.STAKE,
        (wallet, AccountKind.WALLET),
        (pool, AccountKind.POOL),
        stake,
        market_id=market_id,
        wager_id=wager.id,
    )
    session.execute(
        update(MarketOutcome)
        .where(MarketOutcome.id == outcome_id)
        .values(pool=MarketOutcome.pool + stake, wager_count=MarketOutcome.wager_count + 1),
        execution_options={"synchronize_session": False},
    )
    return _view(wager, balance=ledger.balance_of(session, wallet_code(user_id)))


def wagers_of(
    uow: UnitOfWork,
    *,
    user_id: int | None = None,
    market_id: int | None = None,
    limit: int = 100,
    offset: int = 0,
) -> list[WagerView]:
    stmt = select(Wager)
    if user_id is not None:
        stmt = stmt.where(Wager.user_id == user_id)
    if market_id is not None:
        stmt = stmt.where(Wager.market_id == market_id)
    rows = uow.session.scalars(stmt.order_by(Wager.id.desc()).limit(limit).offset(offset))
    return [_view(w) for w in rows]
