"""In-play wagers and their bet delay, like a sportsbook's in-play delay.

A wager on an in-play market is held: its stake leaves the wallet for the market's hold
account at once (`hold:h<id>`), and it only becomes a wager once the engine has surely
looked one delay past it. If a qualifying detection (a label or phrase of the market's
criteria, at or above the review floor) lies within one delay either side of the moment it
was placed, it is refused and its stake goes back (`release:h<id>`): a bettor who saw it on
the stream, or placed it just before the engine reported it, gains nothing. Accepted, the
stake goes back to the wallet and is staked as an ordinary wager, in one transaction, so
the books keep the pools' own invariants (`ledger verify` also checks that each hold
account holds exactly its pending stakes).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime

from pydantic import Field
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from streambet.adapters.orm.accounts import User
from streambet.adapters.orm.betting import LedgerAccount, Market, MarketOutcome, Wager
from streambet.adapters.orm.live_markets import HeldWager, LiveMarket
from streambet.domain.accounts import Principal, check_may_wager
from streambet.domain.criteria import AllOf, AnyOf, Criterion, LabelCriterion, Not, matches
from streambet.domain.errors import Conflict, InsufficientFunds, NotFound, ValidationFailed
from streambet.domain.ledger import AccountKind, MovementKind, held_code, pool_code, wallet_code
from streambet.domain.live_markets import Hold, hold_verdict
from streambet.domain.markets import check_wager
from streambet.domain.money import check_amount
from streambet.domain.responsible import check_not_excluded
from streambet.domain.settlement import OutcomeSpec
from streambet.services import events, ledger
from streambet.services.read_models import ReadModel, read
from streambet.services.unit_of_work import UnitOfWork
from streambet.services.wagers import MAX_KEY, odds_of
from streambet.timeline import Timeline


class HeldWagerRead(ReadModel):
    id: int
    market_id: int
    outcome_id: int
    stake: int
    status: Hold = Field(description="pending, then accepted (a wager) or refused (refunded)")
    placed_ms: int
    accept_after_ms: int = Field(description="When the bet delay ends, at the earliest")
    reason: str | None
    wager_id: int | None
    balance: int | None = None  # the bettor's balance after placing it (placing only)


def _criteria_labels(criterion: Criterion) -> list[str]:
    if isinstance(criterion, AllOf | AnyOf):
        return [name for item in criterion.items for name in _criteria_labels(item)]
    if isinstance(criterion, Not):
        return _criteria_labels(criterion.item)
    return [criterion.label] if isinstance(criterion, LabelCriterion) else []


def qualifying_ms(
    specs: Iterable[OutcomeSpec], timeline: Timeline, floor: float, origin_ms: int
) -> list[int]:
    """Stream times of detections that could decide the market: a label its criteria name
    (or a child of one), or a word of a phrase they name, at or above `floor`. `origin_ms`
    is the stream time of the timeline's 0."""
    labels = [n for s in specs if s.criteria is not None for n in _criteria_labels(s.criteria)]
    phrases = {w for s in specs if s.criteria is not None for w in _phrase_words(s.criteria)}
    seen = {
        origin_ms + s.timestamp_ms
        for s in timeline.samples
        if s.confidence >= floor and any(matches(timeline.info(s.name), n) for n in labels)
    }
    seen |= {
        origin_ms + w.start_ms
        for w in timeline.words
        if w.probability >= floor and w.word.casefold() in phrases
    }
    return sorted(seen)


def _phrase_words(criterion: Criterion) -> set[str]:
    if isinstance(criterion, AllOf | AnyOf):
        return {w for item in criterion.items for w in _phrase_words(item)}
    if isinstance(criterion, Not):
        return _phrase_words(criterion.item)
    return set() if isinstance(criterion, LabelCriterion) else set(criterion.phrase)


def _held_read(row: HeldWager, balance: int | None = None) -> HeldWagerRead:
    return read(HeldWagerRead, row, balance=balance)


def place_held(
    uow: UnitOfWork,
    bettor: Principal,
    market_id: int,
    outcome_id: int,
    stake: int,
    idempotency_key: str | None = None,
    *,
    now_ms: int,
) -> HeldWagerRead:
    """A wager on an in-play market, held for its bet delay (202: not a wager yet)."""
    check_may_wager(bettor.role)
    check_amount(stake, "stake")
    if idempotency_key is not None and not (
        1 <= len(idempotency_key) <= MAX_KEY and idempotency_key.isascii()
    ):
        raise ValidationFailed(
            f"Idempotency-Key needs 1 to {MAX_KEY} printable ASCII characters.",
            details={"field": "Idempotency-Key"},
        )
    now = datetime.fromtimestamp(now_ms / 1000, UTC)
    with uow:
        session = uow.session
        if idempotency_key is not None:
            found = session.scalar(
                select(HeldWager).where(
                    HeldWager.user_id == bettor.user_id,
                    HeldWager.idempotency_key == idempotency_key,
                )
            )
            if found is not None:
                if (found.market_id, found.outcome_id, found.stake) != (
                    market_id,
                    outcome_id,
                    stake,
                ):
                    raise Conflict(
                        "This Idempotency-Key was already used for a different wager.",
                        code="idempotency_key_reused",
                    )
                return _held_read(found)
        market = session.scalar(
            select(Market).where(Market.id == market_id).with_for_update(read=True)
        )
        live = session.get(LiveMarket, market_id)
        if market is None or live is None:
            raise NotFound(f"No live market {market_id}.")
        if live.bet_delay_ms <= 0:
            raise Conflict(
                "This market is not in play: place wagers at /api/markets/{id}/wagers.",
                code="not_in_play",
            )
        excluded = session.scalar(select(User.excluded_until).where(User.id == bettor.user_id))
        check_not_excluded(excluded, now, "wagers")
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
            now,
            market.opens_at,
            market.closes_at,
        )
        wallet = session.scalar(
            select(LedgerAccount.id).where(LedgerAccount.code == wallet_code(bettor.user_id))
        )
        if wallet is None:
            raise InsufficientFunds("Not enough balance for that.", details={"needed": stake})
        held = ledger.ensure_account(session, held_code(market_id), AccountKind.HELD)
        row = HeldWager(
            market_id=market_id,
            outcome_id=outcome_id,
            user_id=bettor.user_id,
            account_id=wallet,
            stake=stake,
            idempotency_key=idempotency_key,
            placed_ms=now_ms,
            accept_after_ms=now_ms + live.bet_delay_ms,
            status=Hold.PENDING.value,
        )
        session.add(row)
        session.flush()
        left = ledger.post(
            session,
            f"{MovementKind.HOLD.value}:h{row.id}",
            MovementKind.HOLD,
            (wallet, AccountKind.WALLET),
            (held, AccountKind.HELD),
            stake,
            market_id=market_id,
        )
        result = _held_read(row, left)
        uow.commit()
    return result


def _release(session: Session, row: HeldWager) -> None:
    held = ledger.ensure_account(session, held_code(row.market_id), AccountKind.HELD)
    ledger.post(
        session,
        f"{MovementKind.RELEASE.value}:h{row.id}",
        MovementKind.RELEASE,
        (held, AccountKind.HELD),
        (row.account_id, AccountKind.WALLET),
        row.stake,
        market_id=row.market_id,
    )


def _accept(session: Session, row: HeldWager, now: datetime) -> None:
    """Back to the wallet and staked as an ordinary wager (the pool and verify's rules)."""
    _release(session, row)
    wager = Wager(
        market_id=row.market_id,
        outcome_id=row.outcome_id,
        user_id=row.user_id,
        account_id=row.account_id,
        stake=row.stake,
        created_at=datetime.fromtimestamp(row.placed_ms / 1000, UTC),
    )
    session.add(wager)
    session.flush()
    pool = ledger.ensure_account(session, pool_code(row.market_id), AccountKind.POOL)
    ledger.post(
        session,
        f"{MovementKind.STAKE.value}:w{wager.id}",
        MovementKind.STAKE,
        (row.account_id, AccountKind.WALLET),
        (pool, AccountKind.POOL),
        row.stake,
        market_id=row.market_id,
        wager_id=wager.id,
    )
    session.execute(
        update(MarketOutcome)
        .where(MarketOutcome.id == row.outcome_id)
        .values(pool=MarketOutcome.pool + row.stake, wager_count=MarketOutcome.wager_count + 1),
        execution_options={"synchronize_session": False},
    )
    row.wager_id = wager.id


def decide_holds(
    uow: UnitOfWork,
    market: Market,
    delay_ms: int,
    detections_ms: list[int],
    safe_ms: int,
    *,
    final: bool,
    closed: str | None = None,
) -> int:
    """Accepts or refuses the market's pending wagers that can be decided now (all of them
    when `final`), inside the caller's unit of work, which holds the market's row.
    `closed`: the market was decided or canceled by a person meanwhile: every pending
    wager is refused for that reason. Returns how many it decided."""
    session = uow.session
    pending = session.scalars(
        select(HeldWager)
        .where(HeldWager.market_id == market.id, HeldWager.status == Hold.PENDING.value)
        .order_by(HeldWager.id)
        .with_for_update()
    ).all()
    now = datetime.now(UTC)
    decided = 0
    for row in pending:
        verdict = (
            Hold.REFUSED
            if closed
            else hold_verdict(row.placed_ms, delay_ms, detections_ms, safe_ms, final=final)
        )
        if verdict is Hold.PENDING:
            continue
        if verdict is Hold.ACCEPTED:
            _accept(session, row, now)
        else:
            _release(session, row)
            near = any(abs(t - row.placed_ms) <= delay_ms for t in detections_ms)
            row.reason = closed or (
                "a qualifying detection fell within the bet delay"
                if near
                else "the stream was not analysed over the bet delay before the market closed"
            )
        row.status = verdict.value
        row.decided_at = now
        decided += 1
        uow.emit(
            events.HELD_WAGER,
            {
                "id": row.id,
                "market_id": row.market_id,
                "user_id": row.user_id,
                "status": row.status,
                "reason": row.reason,
            },
        )
    if decided:
        session.flush()
        uow.emit(events.ODDS, odds_of(session, market.id, market.takeout_bp))
    return decided


def my_held(uow: UnitOfWork, market_id: int, bettor: Principal) -> list[HeldWagerRead]:
    with uow:
        rows = uow.session.scalars(
            select(HeldWager)
            .where(HeldWager.market_id == market_id, HeldWager.user_id == bettor.user_id)
            .order_by(HeldWager.id.desc())
            .limit(100)
        )
        return [_held_read(r) for r in rows]
