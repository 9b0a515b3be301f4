"""Paying out a decided market with set-based SQL: a few INSERT ... SELECT and UPDATE
statements whatever the number of wagers, inside the caller's transaction.

Exactly once: the market row is claimed with `UPDATE market SET paid_at = now WHERE
paid_at IS NULL`, every movement key is unique per account, and the whole payout commits
or rolls back as one transaction, so a process killed halfway leaves nothing behind and
the next run pays in full.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, String, cast, func, insert, literal, select, update
from sqlalchemy.orm import Session

from streambet.adapters.orm.betting import LedgerAccount, LedgerEntry, Market, Wager
from streambet.domain.errors import Conflict
from streambet.domain.ledger import AccountKind, MovementKind, pool_code
from streambet.domain.money import share_bp
from streambet.services import ledger

Checkpoint = Callable[[str], None]


@dataclass(frozen=True)
class PayoutSummary:
    market_id: int
    gross: int
    takeout: int
    breakage: int
    paid: int
    refunded: bool
    wagers: int


INT64_MAX = 2**63 - 1


def _largest_stake(session: Session, market_id: int, outcome_id: int | None) -> int:
    return int(
        session.scalar(
            select(func.coalesce(func.max(Wager.stake), 0)).where(
                Wager.market_id == market_id, Wager.outcome_id == outcome_id
            )
        )
        or 0
    )


def _legs_in_python(
    session: Session,
    market_id: int,
    winner: int | None,
    net: int,
    winning: int,
    pool_id: int,
    now: datetime,
) -> None:
    """net x stake would overflow a 64-bit column (SQLite would silently turn it into a
    float): compute the same rounded-down shares with Python's exact integers."""
    rows = session.execute(
        select(Wager.id, Wager.account_id, Wager.stake).where(
            Wager.market_id == market_id, Wager.outcome_id == winner
        )
    ).all()
    legs = []
    for wager_id, account_id, stake in rows:
        amount = net * stake // winning
        if amount <= 0:
            continue
        for account, signed in ((pool_id, -amount), (account_id, amount)):
            legs.append(
                {
                    "movement": f"{MovementKind.PAYOUT.value}:w{wager_id}",
                    "kind": MovementKind.PAYOUT.value,
                    "account_id": account,
                    "amount": signed,
                    "market_id": market_id,
                    "wager_id": wager_id,
                    "created_at": now,
                }
            )
    if legs:
        session.execute(insert(LedgerEntry), legs)


def no_checkpoint(stage: str) -> None:
    """Tests pass a checkpoint that stops the process between statements."""


def lock_accounts(session: Session, market_id: int, pool_id: int, house_id: int) -> None:
    """Every account a payout of `market_id` moves money on (its bettors' wallets, its
    pool, the house), locked by account id, after the market row the caller holds: the
    order wagers take them in too (streambet_place_wagers, migration 0014), so a cancel and a batch
    of wagers never wait on each other in a circle. PostgreSQL only (SQLite has one
    writer at a time)."""
    if session.get_bind().dialect.name != "postgresql":
        return
    wallets = select(Wager.account_id).where(Wager.market_id == market_id)
    session.execute(
        select(LedgerAccount.id)
        .where(LedgerAccount.id.in_(wallets) | LedgerAccount.id.in_([pool_id, house_id]))
        .order_by(LedgerAccount.id)
        .with_for_update()
    ).all()


def pay_out(
    session: Session,
    market: Market,
    winner: int | None,
    now: datetime,
    checkpoint: Checkpoint = no_checkpoint,
) -> PayoutSummary:
    """Pays `market`, whose row the caller holds locked (FOR UPDATE)."""
    claimed = session.execute(
        update(Market).where(Market.id == market.id, Market.paid_at.is_(None)).values(paid_at=now),
        execution_options={"synchronize_session": False},
    )
    if claimed.rowcount != 1:  # type: ignore[attr-defined]
        raise Conflict("This market has already paid out.", code="market_paid")
    pool_id = ledger.ensure_account(session, pool_code(market.id), AccountKind.POOL)
    house_id = ledger.house_account(session)
    lock_accounts(session, market.id, pool_id, house_id)
    totals = session.execute(
        select(
            func.coalesce(func.sum(Wager.stake), 0),
            func.coalesce(func.sum(Wager.stake).filter(Wager.outcome_id == winner), 0),
            func.count(),
        ).where(Wager.market_id == market.id)
    ).one()
    gross, winning, count = int(totals[0]), int(totals[1]), int(totals[2])
    refund = winner is None or winning == 0
    takeout = 0 if refund else share_bp(gross, market.takeout_bp)
    net = gross - takeout
    kind = MovementKind.REFUND if refund else MovementKind.PAYOUT
    mine = Wager.market_id == market.id
    if refund:
        amount: Any = Wager.stake
    else:
        big_net, big_winning = literal(net, BigInteger()), literal(winning, BigInteger())
        # Integer division on both backends: each share rounded down to the minor unit.
        amount = big_net * Wager.stake // big_winning
        # A share that rounds down to nothing is not a movement.
        mine = mine & (Wager.outcome_id == winner) & (big_net * Wager.stake >= big_winning)
    in_python = not refund and net * _largest_stake(session, market.id, winner) > INT64_MAX
    if in_python:
        _legs_in_python(session, market.id, winner, net, winning, pool_id, now)
        checkpoint(f"{kind.value} legs written")
    else:
        movement = literal(f"{kind.value}:w") + cast(Wager.id, String)
        columns = ["movement", "kind", "account_id", "amount", "market_id", "wager_id"]
        for account, sign in ((literal(pool_id), -1), (Wager.account_id, 1)):
            session.execute(
                insert(LedgerEntry).from_select(
                    [*columns, "created_at"],
                    select(
                        movement,
                        literal(kind.value),
                        account,
                        amount * sign,
                        literal(market.id),
                        Wager.id,
                        literal(now, LedgerEntry.created_at.type),
                    ).where(mine),
                )
            )
            checkpoint(f"{kind.value} {'pool' if sign < 0 else 'wallet'} legs written")
    legs = (LedgerEntry.market_id == market.id) & (LedgerEntry.kind == kind.value)
    # One aggregate pass: each wallet's credits for this market, then UPDATE ... FROM.
    per_wallet = (
        select(LedgerEntry.account_id, func.sum(LedgerEntry.amount).label("total"))
        .where(legs, LedgerEntry.account_id != pool_id)
        .group_by(LedgerEntry.account_id)
        if in_python
        else select(Wager.account_id, func.sum(amount).label("total"))
        .where(mine)
        .group_by(Wager.account_id)
    ).subquery()
    session.execute(
        update(LedgerAccount)
        .where(LedgerAccount.id == per_wallet.c.account_id)
        .values(balance=LedgerAccount.balance + per_wallet.c.total),
        execution_options={"synchronize_session": False},
    )
    paid = -int(
        session.scalar(
            select(func.coalesce(func.sum(LedgerEntry.amount), 0)).where(
                legs, LedgerEntry.account_id == pool_id
            )
        )
        or 0
    )
    session.execute(
        update(LedgerAccount)
        .where(LedgerAccount.id == pool_id)
        .values(balance=LedgerAccount.balance - paid),
        execution_options={"synchronize_session": False},
    )
    breakage = net - paid
    for movement_kind, amount in (
        (MovementKind.TAKEOUT, takeout),
        (MovementKind.BREAKAGE, breakage),
    ):
        if amount > 0:
            ledger.post(
                session,
                f"{movement_kind.value}:m{market.id}",
                movement_kind,
                (pool_id, AccountKind.POOL),
                (house_id, AccountKind.HOUSE),
                amount,
                market_id=market.id,
            )
    left = session.scalar(select(LedgerAccount.balance).where(LedgerAccount.id == pool_id))
    if left != 0:  # the books would not balance: refuse to commit anything
        raise RuntimeError(f"pool {market.id} would keep {left} after paying out")
    market.takeout_amount = takeout
    market.breakage_amount = breakage
    session.flush()
    checkpoint("ready to commit")
    return PayoutSummary(market.id, gross, takeout, breakage, paid, refund, count)
