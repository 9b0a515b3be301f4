"""Posting to and checking the double-entry ledger (helpers: they never commit).

Debits from accounts that may not go negative are one conditional UPDATE
(`... WHERE balance >= amount`): the check and the write are a single statement, so two
concurrent stakes can never both spend the same money, on SQLite or PostgreSQL.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import String, bindparam, cast, func, insert, literal, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from streambet.adapters.orm.betting import LedgerAccount, LedgerEntry, Market, Wager
from streambet.adapters.orm.live_markets import HeldWager
from streambet.adapters.orm.payments import Deposit, PayoutIntent
from streambet.domain.errors import InsufficientFunds
from streambet.domain.ledger import (
    HOUSE_CODE,
    MAY_GO_NEGATIVE,
    PENDING_WITHDRAWAL_CODE,
    AccountKind,
    MovementKind,
    Violation,
    transfer,
)
from streambet.domain.money import format_minor
from streambet.domain.payments import PayoutStatus
from streambet.services.unit_of_work import UnitOfWork


def ensure_account(
    session: Session, code: str, kind: AccountKind, user_id: int | None = None
) -> int:
    """The id of the account `code`, created if missing (race-safe: insert-or-ignore)."""
    found = session.scalar(select(LedgerAccount.id).where(LedgerAccount.code == code))
    if found is not None:
        return found
    values = {
        "code": code,
        "kind": kind.value,
        "user_id": user_id,
        "balance": 0,
        "created_at": datetime.now(UTC),
    }
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    session.execute(insert(LedgerAccount).values(**values).on_conflict_do_nothing())
    account_id = session.scalar(select(LedgerAccount.id).where(LedgerAccount.code == code))
    assert account_id is not None
    return account_id


_DEBIT_GUARDED = (
    update(LedgerAccount)
    .where(LedgerAccount.id == bindparam("account"), LedgerAccount.balance >= bindparam("amount"))
    .values(balance=LedgerAccount.balance - bindparam("amount"))
    .returning(LedgerAccount.balance)
)
_DEBIT = (
    update(LedgerAccount)
    .where(LedgerAccount.id == bindparam("account"))
    .values(balance=LedgerAccount.balance - bindparam("amount"))
    .returning(LedgerAccount.balance)
)
_CREDIT = (
    update(LedgerAccount)
    .where(LedgerAccount.id == bindparam("account"))
    .values(balance=LedgerAccount.balance + bindparam("amount"))
)
_LEGS = insert(LedgerEntry)


def short_of(balance: int, needed: int) -> InsufficientFunds:
    """The refusal of a debit, saying what there is and what was needed."""
    return InsufficientFunds(
        f"Not enough balance for that: your balance is {format_minor(balance)}, and this"
        f" needs {format_minor(needed)}.",
        details={"needed": needed, "balance": balance},
    )


def post(
    session: Session,
    movement: str,
    kind: MovementKind,
    source: tuple[int, AccountKind],
    target: tuple[int, AccountKind],
    amount: int,
    *,
    market_id: int | None = None,
    wager_id: int | None = None,
) -> int:
    """Moves `amount` from `source` to `target` (account id, kind): both legs and both
    balances, or InsufficientFunds and nothing written. Returns the source's new balance."""
    debit, credit = transfer(movement, kind, str(source[0]), str(target[0]), amount)
    stmt = _DEBIT if source[1] in MAY_GO_NEGATIVE else _DEBIT_GUARDED
    # Core on the session's connection: these statements touch no ORM objects, and the
    # ORM's execute path costs several times the statement itself (bench/betting.py).
    conn = session.connection()
    left = conn.execute(stmt, {"account": source[0], "amount": amount}).scalar()
    if left is None:
        # Only on refusal: the balance now, so the message can say what there is.
        balance = int(conn.execute(_BALANCE_BY_ID, {"account": source[0]}).scalar() or 0)
        raise short_of(balance, amount)
    conn.execute(_CREDIT, {"account": target[0], "amount": amount})
    now = datetime.now(UTC)
    conn.execute(
        _LEGS,
        [
            {
                "movement": movement,
                "kind": kind.value,
                "account_id": int(leg.account),
                "amount": leg.amount,
                "market_id": market_id,
                "wager_id": wager_id,
                "created_at": now,
            }
            for leg in (debit, credit)
        ],
    )
    return int(left)


_BALANCE_BY_ID = select(LedgerAccount.balance).where(LedgerAccount.id == bindparam("account"))
_BALANCE_OF = select(LedgerAccount.balance).where(LedgerAccount.code == bindparam("code"))


def balance_of(session: Session, code: str) -> int:
    value = session.connection().execute(_BALANCE_OF, {"code": code}).scalar()
    return int(value or 0)


def house_account(session: Session) -> int:
    return ensure_account(session, HOUSE_CODE, AccountKind.HOUSE)


def verify_books(uow: UnitOfWork) -> list[Violation]:
    """Every ledger invariant, checked now (`streambet ledger verify`, the admin API)."""
    with uow:
        return verify(uow.session)


def verify(session: Session) -> list[Violation]:
    """Every invariant of the books, checked with set-based queries on a live database."""
    out: list[Violation] = []
    unbalanced = session.execute(
        select(LedgerEntry.movement, func.count(), func.sum(LedgerEntry.amount))
        .group_by(LedgerEntry.movement)
        .having((func.count() != 2) | (func.sum(LedgerEntry.amount) != 0))
    ).all()
    for movement, count, total in unbalanced:
        out.append(
            Violation("movement_unbalanced", movement, f"{count} entries summing to {total}")
        )
    nonpositive = session.execute(
        select(LedgerEntry.movement)
        .group_by(LedgerEntry.movement)
        .having(func.max(LedgerEntry.amount) <= 0)
    ).scalars()
    for movement in nonpositive:
        out.append(Violation("movement_without_credit", movement, "no positive leg"))
    sums = (
        select(LedgerEntry.account_id, func.sum(LedgerEntry.amount).label("total"))
        .group_by(LedgerEntry.account_id)
        .subquery()
    )
    drift = session.execute(
        select(LedgerAccount.code, LedgerAccount.balance, func.coalesce(sums.c.total, 0))
        .outerjoin(sums, sums.c.account_id == LedgerAccount.id)
        .where(LedgerAccount.balance != func.coalesce(sums.c.total, 0))
    ).all()
    for code, cached, total in drift:
        out.append(Violation("balance_mismatch", code, f"cached {cached}, entries sum {total}"))
    negative = session.execute(
        select(LedgerAccount.code, LedgerAccount.balance).where(
            LedgerAccount.kind.not_in([k.value for k in MAY_GO_NEGATIVE]),
            LedgerAccount.balance < 0,
        )
    ).all()
    for code, value in negative:
        out.append(Violation("negative_balance", code, str(value)))
    out.extend(_verify_markets(session))
    out.extend(_verify_holds(session))
    out.extend(_verify_deposits(session))
    out.extend(_verify_withdrawals(session))
    grand = session.scalar(select(func.coalesce(func.sum(LedgerEntry.amount), 0)))
    if grand != 0:
        out.append(Violation("books_unbalanced", "all entries", f"sum {grand}"))
    return out


def _verify_markets(session: Session) -> list[Violation]:
    """The pools against the wagers: an unpaid pool holds exactly its stakes, a paid pool
    holds nothing, every stake and every payout has its movement."""
    out: list[Violation] = []
    stakes = (
        select(Wager.market_id, func.sum(Wager.stake).label("staked"))
        .group_by(Wager.market_id)
        .subquery()
    )
    pools = session.execute(
        select(Market.id, Market.paid_at, LedgerAccount.balance, func.coalesce(stakes.c.staked, 0))
        .join(LedgerAccount, LedgerAccount.code == literal("pool:") + cast(Market.id, String))
        .outerjoin(stakes, stakes.c.market_id == Market.id)
    ).all()
    for market_id, paid_at, held, staked in pools:
        expected = 0 if paid_at is not None else staked
        if held != expected:
            out.append(
                Violation(
                    "pool_mismatch", f"market {market_id}", f"holds {held}, expected {expected}"
                )
            )
    stake_leg = (
        select(LedgerEntry.id)
        .where(
            LedgerEntry.wager_id == Wager.id,
            LedgerEntry.kind == MovementKind.STAKE.value,
            LedgerEntry.account_id == Wager.account_id,
            LedgerEntry.amount == -Wager.stake,
        )
        .exists()
    )
    for missing in session.scalars(select(Wager.id).where(~stake_leg).limit(100)):
        out.append(Violation("stake_missing", f"wager {missing}", "no matching stake entry"))
    credits = (
        select(LedgerEntry.wager_id, LedgerEntry.account_id, Wager.account_id)
        .join(Wager, Wager.id == LedgerEntry.wager_id)
        .where(
            LedgerEntry.kind.in_([MovementKind.PAYOUT.value, MovementKind.REFUND.value]),
            LedgerEntry.amount > 0,
            LedgerEntry.account_id != Wager.account_id,
        )
        .limit(100)
    )
    for wager_id, got, staked_from in session.execute(credits):
        out.append(
            Violation(
                "payout_misdirected",
                f"wager {wager_id}",
                f"paid to {got}, staked from {staked_from}",
            )
        )
    twice = (
        select(LedgerEntry.wager_id)
        .where(
            LedgerEntry.kind.in_([MovementKind.PAYOUT.value, MovementKind.REFUND.value]),
            LedgerEntry.amount > 0,
        )
        .group_by(LedgerEntry.wager_id)
        .having(func.count() > 1)
        .limit(100)
    )
    for wager_id in session.scalars(twice):
        out.append(Violation("paid_twice", f"wager {wager_id}", "more than one payout or refund"))
    return out


def _verify_holds(session: Session) -> list[Violation]:
    """A market's hold account holds exactly its in-play wagers still waiting out their
    bet delay (services/bet_delay.py)."""
    out: list[Violation] = []
    pending = (
        select(HeldWager.market_id, func.sum(HeldWager.stake).label("held"))
        .where(HeldWager.status == "pending")
        .group_by(HeldWager.market_id)
        .subquery()
    )
    rows = session.execute(
        select(LedgerAccount.code, LedgerAccount.balance, func.coalesce(pending.c.held, 0))
        .outerjoin(
            pending, LedgerAccount.code == literal("held:") + cast(pending.c.market_id, String)
        )
        .where(LedgerAccount.kind == AccountKind.HELD.value)
    ).all()
    for code, balance, held in rows:
        if balance != held:
            out.append(Violation("hold_mismatch", code, f"holds {balance}, expected {held}"))
    return out


def _credits_by_prefix(session: Session, prefix: str) -> dict[str, int]:
    """Movement -> its positive leg, for the movements whose key starts with `prefix`."""
    rows = session.execute(
        select(LedgerEntry.movement, LedgerEntry.amount).where(
            LedgerEntry.movement.startswith(prefix, autoescape=True), LedgerEntry.amount > 0
        )
    )
    return {movement: int(amount) for movement, amount in rows}


def _verify_deposits(session: Session) -> list[Violation]:
    """Each deposit's credits in the ledger add up to what its row says it credited, and
    no credit exists for a deposit that is not there."""
    out: list[Violation] = []
    booked: dict[int, int] = {}
    for movement, amount in _credits_by_prefix(session, "deposit:d").items():
        digits = movement.removeprefix("deposit:d").split(":", 1)[0]
        if digits.isdigit():
            booked[int(digits)] = booked.get(int(digits), 0) + amount
    rows = session.execute(select(Deposit.id, Deposit.credited, Deposit.amount)).all()
    known = set()
    for deposit_id, credited, amount in rows:
        known.add(deposit_id)
        if booked.get(deposit_id, 0) != credited:
            out.append(
                Violation(
                    "deposit_mismatch",
                    f"deposit {deposit_id}",
                    f"credited {credited}, ledger {booked.get(deposit_id, 0)}",
                )
            )
        if credited > amount:
            out.append(
                Violation("deposit_over_credited", f"deposit {deposit_id}", f"{credited}/{amount}")
            )
    for deposit_id in sorted(set(booked) - known):
        out.append(Violation("deposit_unknown", f"deposit {deposit_id}", "credit without a row"))
    return out


def _verify_withdrawals(session: Session) -> list[Violation]:
    """Every payout intent's movements match its amount and status: held once; then paid
    or returned (never both) once it is final; and the pending-withdrawal account holds
    exactly the intents that are not final."""
    out: list[Violation] = []
    legs = _credits_by_prefix(session, "withdrawal:p")
    holding = 0
    for payout_id, amount, status in session.execute(
        select(PayoutIntent.id, PayoutIntent.amount, PayoutIntent.status)
    ):
        state = PayoutStatus(status)
        held = legs.pop(f"withdrawal:p{payout_id}:held", None)
        paid = legs.pop(f"withdrawal:p{payout_id}:paid", None)
        back = legs.pop(f"withdrawal:p{payout_id}:back", None)
        subject = f"withdrawal {payout_id}"
        if held != amount:
            out.append(Violation("withdrawal_hold", subject, f"held {held}, amount {amount}"))
        expected_paid = amount if state is PayoutStatus.PAID else None
        expected_back = amount if state in (PayoutStatus.FAILED, PayoutStatus.REJECTED) else None
        if paid != expected_paid or back != expected_back:
            out.append(
                Violation("withdrawal_mismatch", subject, f"{status}: paid {paid}, returned {back}")
            )
        if state.holds_funds:
            holding += amount
    for movement in sorted(legs):
        out.append(Violation("withdrawal_unknown", movement, "movement without an intent"))
    pending = session.scalar(
        select(LedgerAccount.balance).where(LedgerAccount.code == PENDING_WITHDRAWAL_CODE)
    )
    if int(pending or 0) != holding:
        out.append(
            Violation(
                "pending_mismatch",
                PENDING_WITHDRAWAL_CODE,
                f"holds {pending or 0}, open withdrawals {holding}",
            )
        )
    if pending is not None and pending < 0:
        out.append(Violation("pending_negative", PENDING_WITHDRAWAL_CODE, str(pending)))
    return out
