"""Placing a wager: checked and written in one transaction, at most once per
Idempotency-Key.

The balance check is the debit itself (`UPDATE ... WHERE balance >= stake`), and the
market row is read with a shared lock (PostgreSQL; SQLite's write transactions are
serialised by BEGIN IMMEDIATE), so a stake never lands on a market that has just locked
and no two stakes spend the same money. On PostgreSQL a batch is placed by a server-side
function (services/wagers_postgres.py) that takes its row locks up front in one global
order, so wagers and cancels never deadlock.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from pydantic import Field
from sqlalchemy import bindparam, case, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from streambet.adapters.orm.accounts import User
from streambet.adapters.orm.betting import LedgerAccount, LedgerEntry, Market, MarketOutcome, Wager
from streambet.adapters.orm.live_markets import LiveMarket
from streambet.domain.accounts import Principal, Role, check_may_wager
from streambet.domain.errors import (
    Conflict,
    NotFound,
    StreamBetError,
    ValidationFailed,
)
from streambet.domain.ledger import AccountKind, MovementKind, pool_code, wallet_code
from streambet.domain.markets import check_wager
from streambet.domain.money import check_amount
from streambet.domain.pools import decimal_odds
from streambet.domain.responsible import check_not_excluded
from streambet.services import ledger
from streambet.services.markets import load_market
from streambet.services.read_models import EpochMs, ReadModel, read
from streambet.services.unit_of_work import UnitOfWork

MAX_KEY = 128


class WagerRead(ReadModel):
    id: int
    market_id: int
    outcome_id: int
    stake: int
    # What it was paid (payout or refund): None while its market has not paid, 0 if lost.
    payout: int | None
    created_at_ms: EpochMs = Field(validation_alias="created_at")
    balance: int | None = None  # the bettor's balance after placing it (placing only)
    # An Idempotency-Key retry answered with the wager placed first (a response header).
    replayed: bool = Field(default=False, exclude=True)


# What a wager was paid is its ledger entry, not a column to keep in step.
_CREDITED = (
    select(func.sum(LedgerEntry.amount))
    .where(
        LedgerEntry.wager_id == Wager.id,
        LedgerEntry.account_id == Wager.account_id,
        LedgerEntry.kind.in_([MovementKind.PAYOUT.value, MovementKind.REFUND.value]),
    )
    .scalar_subquery()
)
_WAGER_ROWS = select(
    Wager.id,
    Wager.market_id,
    Wager.outcome_id,
    Wager.stake,
    Wager.created_at,
    case((Market.paid_at.is_(None), None), else_=func.coalesce(_CREDITED, 0)).label("payout"),
).join(Market, Market.id == Wager.market_id)


# The hot path's statements are built once and run as Core on the session's connection:
# building statements per request, and the ORM's execute path, each cost more than the
# statement itself (bench/betting.py).
_FIND_KEY = _WAGER_ROWS.where(
    Wager.user_id == bindparam("user_id"), Wager.idempotency_key == bindparam("key")
)


def _account_id(code: str) -> Any:
    return select(LedgerAccount.id).where(LedgerAccount.code == bindparam(code)).scalar_subquery()


# The market, the chosen outcome, both ledger accounts and the bettor's self-exclusion in
# one statement: it runs while SQLite's single writer slot is held, so every round trip
# saved there is throughput (the exclusion is one primary-key read inside it).
_EXCLUDED_UNTIL = (
    select(User.excluded_until).where(User.id == bindparam("user_id")).scalar_subquery()
)
# An in-play live market's wagers wait out a bet delay (services/bet_delay.py).
_BET_DELAY = select(LiveMarket.bet_delay_ms).where(LiveMarket.market_id == Market.id)
_MARKET = (
    select(
        Market.status,
        Market.min_stake,
        Market.max_stake,
        Market.opens_at,
        Market.closes_at,
        Market.takeout_bp,
        MarketOutcome.id,
        _account_id("wallet_code"),
        _account_id("pool_code"),
        _EXCLUDED_UNTIL,
        _BET_DELAY.scalar_subquery(),
    )
    .outerjoin(
        MarketOutcome,
        (MarketOutcome.market_id == Market.id) & (MarketOutcome.id == bindparam("outcome_id")),
    )
    .where(Market.id == bindparam("market_id"))
    .with_for_update(read=True, of=Market)
)
_NEW_WAGER = insert(Wager).returning(Wager.id)
_BUMP_OUTCOME = (
    update(MarketOutcome)
    .where(MarketOutcome.id == bindparam("outcome_id"))
    .values(
        pool=MarketOutcome.pool + bindparam("stake"),
        wager_count=MarketOutcome.wager_count + 1,
    )
)
_POOLS = (
    select(MarketOutcome.id, MarketOutcome.pool)
    .where(MarketOutcome.market_id == bindparam("market_id"))
    .order_by(MarketOutcome.position)
)


def _replay(session: Session, order: WagerOrder, key: str) -> WagerRead | None:
    conn = session.connection()
    found = conn.execute(_FIND_KEY, {"user_id": order.bettor_id, "key": key}).first()
    if found is None:
        return None
    if (found.market_id, found.outcome_id, found.stake) != (
        order.market_id,
        order.outcome_id,
        order.stake,
    ):
        raise Conflict(
            "This Idempotency-Key was already used for a different wager.",
            code="idempotency_key_reused",
            details={"wager_id": found.id},
        )
    balance = ledger.balance_of(session, wallet_code(order.bettor_id))
    return read(WagerRead, found, replayed=True, balance=balance)


@dataclass(frozen=True)
class WagerOrder:
    """One request to stake: what place_wager and a batch (services/wager_batches) take.
    The bettor is `user_id`, or on PostgreSQL whoever the bearer token hashed to
    `token_hash` lets in: the wager's own call checks it (services/wagers_postgres.py)."""

    user_id: int | None
    market_id: int
    outcome_id: int
    stake: int
    idempotency_key: str | None = None
    token_hash: str | None = None

    def __post_init__(self) -> None:
        if (self.user_id is None) == (self.token_hash is None):
            raise ValueError("a wager order names its bettor by user_id or by token_hash")

    @property
    def bettor_id(self) -> int:
        """The bettor, on the path that knows them before placing (SQLite's)."""
        if self.user_id is None:
            raise ValueError("this order's bettor is known only to PostgreSQL's call")
        return self.user_id

    def check(self) -> None:
        check_amount(self.stake, "stake")
        key = self.idempotency_key
        if key is not None and not (
            1 <= len(key) <= MAX_KEY and key.isascii() and key.isprintable()
        ):
            raise ValidationFailed(
                f"Idempotency-Key needs 1 to {MAX_KEY} printable ASCII characters.",
                details={"field": "Idempotency-Key"},
            )


def place_wager(
    place: Callable[[WagerOrder], WagerRead],
    bettor: Principal,
    market_id: int,
    outcome_id: int,
    stake: int,
    idempotency_key: str | None = None,
) -> WagerRead:
    """A bettor's wager, placed by `place` (the process's WagerBatcher: group commit, see
    services/wager_batches.py)."""
    check_may_wager(bettor.role)
    return place(WagerOrder(bettor.user_id, market_id, outcome_id, stake, idempotency_key))


def place_in_transaction(
    session: Session, order: WagerOrder, now: datetime | None = None
) -> tuple[WagerRead, int | None]:
    """Places `order` inside the caller's transaction, under a savepoint of its own: on any
    refusal nothing of it is written and the transaction goes on (so a batch of wagers can
    share one commit). Returns the wager and the market's takeout for its new odds (None
    for a replay, which changed nothing).

    Optimistic about Idempotency-Keys: the key is looked up only when placing failed, so a
    fresh wager costs no extra query. A retry after success (the key's unique index refuses
    the second row, or the market has locked since) answers with the wager placed first."""
    # Plain SQL savepoints (the same on SQLite and PostgreSQL): SQLAlchemy's nested
    # transaction objects cost more than the wager's own statements.
    conn = session.connection()
    conn.exec_driver_sql("SAVEPOINT wager")
    try:
        placed = _place(session, order, now)
    except (IntegrityError, StreamBetError):
        conn.exec_driver_sql("ROLLBACK TO SAVEPOINT wager")
        conn.exec_driver_sql("RELEASE SAVEPOINT wager")
        key = order.idempotency_key
        if key is None:
            raise
        replay = _replay(session, order, key)
        if replay is None:
            raise
        return replay, None
    conn.exec_driver_sql("RELEASE SAVEPOINT wager")
    return placed


@dataclass(frozen=True)
class MarketTerms:
    """What a market row says about taking a wager."""

    status: str
    min_stake: int
    max_stake: int
    opens_at: datetime | None
    closes_at: datetime | None


def check_order(
    terms: MarketTerms,
    stake: int,
    now: datetime,
    *,
    outcome_found: bool,
    wallet_found: bool,
    excluded_until: datetime | None,
    in_play: bool,
    market_id: int,
) -> None:
    """Raises why a wager may not be placed, in the order bettors are told (the Python
    path and PostgreSQL's server-side one, services/wagers_postgres.py, both ask here)."""
    check_not_excluded(excluded_until, now, "wagers")
    if not outcome_found:
        raise ValidationFailed(
            "That outcome is not part of this market.", details={"field": "outcome_id"}
        )
    check_wager(
        terms.status,
        stake,
        terms.min_stake,
        terms.max_stake,
        now,
        terms.opens_at,
        terms.closes_at,
    )
    if in_play:  # an in-play live market's wagers wait out its bet delay first
        raise Conflict(
            "This market is in play: a wager waits out its bet delay. Place it at"
            f" /api/markets/{market_id}/held-wagers.",
            code="in_play",
        )
    if not wallet_found:  # never funded: nothing to stake
        raise ledger.short_of(0, stake)


def _place(session: Session, order: WagerOrder, now: datetime | None) -> tuple[WagerRead, int]:
    user_id, market_id = order.bettor_id, order.market_id
    outcome_id, stake = order.outcome_id, order.stake
    conn = session.connection()
    row = conn.execute(
        _MARKET,
        {
            "market_id": market_id,
            "outcome_id": outcome_id,
            "wallet_code": wallet_code(user_id),
            "pool_code": pool_code(market_id),
            "user_id": user_id,
        },
    ).first()
    if row is None:
        raise NotFound(f"No market {market_id}.")
    status, min_stake, max_stake, opens_at, closes_at, takeout_bp = row[:6]
    found_outcome, wallet, pool, excluded_until, bet_delay = row[6:]
    now = now or datetime.now(UTC)
    check_order(
        MarketTerms(status, min_stake, max_stake, opens_at, closes_at),
        stake,
        now,
        outcome_found=found_outcome is not None,
        wallet_found=wallet is not None,
        excluded_until=excluded_until,
        in_play=bool(bet_delay),
        market_id=market_id,
    )
    created = datetime.now(UTC)
    wager_id = conn.execute(
        _NEW_WAGER,
        {
            "market_id": market_id,
            "outcome_id": outcome_id,
            "user_id": user_id,
            "account_id": wallet,
            "stake": stake,
            "idempotency_key": order.idempotency_key,
            "created_at": created,
        },
    ).scalar_one()
    left = ledger.post(
        session,
        f"stake:w{wager_id}",
        MovementKind.STAKE,
        (wallet, AccountKind.WALLET),
        (pool, AccountKind.POOL),
        stake,
        market_id=market_id,
        wager_id=wager_id,
    )
    conn.execute(_BUMP_OUTCOME, {"outcome_id": outcome_id, "stake": stake})
    placed = WagerRead.model_validate(
        {
            "id": wager_id,
            "market_id": market_id,
            "outcome_id": outcome_id,
            "stake": stake,
            "payout": None,
            "created_at": created,
            "balance": left,
        }
    )
    return placed, takeout_bp


def odds_of(session: Session, market_id: int, takeout_bp: int) -> dict[str, Any]:
    pools: dict[int, int] = dict(
        session.connection().execute(_POOLS, {"market_id": market_id}).all()
    )
    return odds_event(market_id, pools, takeout_bp)


def odds_event(market_id: int, pools: dict[int, int], takeout_bp: int) -> dict[str, Any]:
    """The odds event of a market whose outcomes' pools are `pools` (in outcome order)."""
    odds = decimal_odds(pools, takeout_bp)
    return {
        "market_id": market_id,
        "pool": sum(pools.values()),
        "outcomes": [{"id": o, "pool": p, "odds": odds[o]} for o, p in pools.items()],
    }


def _wagers(
    session: Session,
    *,
    user_id: int | None = None,
    market_id: int | None = None,
    limit: int = 100,
    offset: int = 0,
) -> list[WagerRead]:
    stmt = _WAGER_ROWS
    if user_id is not None:
        stmt = stmt.where(Wager.user_id == user_id)
    if market_id is not None:
        stmt = stmt.where(Wager.market_id == market_id)
    rows = session.execute(stmt.order_by(Wager.id.desc()).limit(limit).offset(offset))
    return [WagerRead.model_validate(r) for r in rows]


def my_wagers(
    uow: UnitOfWork, user_id: int, *, limit: int = 100, offset: int = 0
) -> list[WagerRead]:
    with uow:
        return _wagers(uow.session, user_id=user_id, limit=limit, offset=offset)


def market_wagers(
    uow: UnitOfWork, market_id: int, viewer: Principal, *, limit: int = 100, offset: int = 0
) -> list[WagerRead]:
    """A market's wagers: a bettor sees only their own; operators and admins see all."""
    mine = viewer.user_id if viewer.role is Role.BETTOR else None
    with uow:
        load_market(uow.session, market_id)
        return _wagers(uow.session, user_id=mine, market_id=market_id, limit=limit, offset=offset)
