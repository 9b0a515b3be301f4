"""Double-entry rules. Every movement of money is one pair of entries on two different
accounts whose amounts sum to zero; balances are the sum of an account's entries.

Movement keys are deterministic ("payout:w42"), and the store keeps (movement, account)
unique, so a movement that is replayed cannot be booked twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from streambet.domain.money import check_amount


class AccountKind(StrEnum):
    WALLET = "wallet"  # a user's balance
    POOL = "pool"  # a market's escrow: stakes in, payouts/refunds/takeout/breakage out
    HOUSE = "house"  # takeout and breakage
    MINT = "mint"  # where play-money credit comes from (goes negative)
    PROVIDER = "provider"  # a payment provider's clearing account: its side of the money
    PENDING = "pending"  # withdrawals on their way out: left the wallet, not yet paid
    HELD = "held"  # a market's in-play stakes waiting out their bet delay


# Only these may go below zero: they are the outside world's side of the books.
MAY_GO_NEGATIVE = frozenset({AccountKind.MINT, AccountKind.PROVIDER})


class MovementKind(StrEnum):
    GRANT = "grant"
    DEPOSIT = "deposit"
    WITHDRAWAL = "withdrawal"  # wallet -> pending withdrawals, when requested
    WITHDRAWAL_PAID = "withdrawal_paid"  # pending -> the provider's clearing account
    WITHDRAWAL_BACK = "withdrawal_back"  # pending -> wallet: failed or rejected
    STAKE = "stake"
    PAYOUT = "payout"
    REFUND = "refund"
    TAKEOUT = "takeout"
    BREAKAGE = "breakage"
    HOLD = "hold"  # wallet -> held: an in-play stake waiting out its bet delay
    RELEASE = "release"  # held -> wallet: the delay passed (then staked) or it was refused


def wallet_code(user_id: int) -> str:
    return f"wallet:{user_id}"


def pool_code(market_id: int) -> str:
    return f"pool:{market_id}"


def held_code(market_id: int) -> str:
    return f"held:{market_id}"


def clearing_code(provider: str) -> str:
    """Where a payment provider's deposits come from and its payouts go to."""
    return f"clearing:{provider}"


HOUSE_CODE = "house"
MINT_CODE = "mint"
PENDING_WITHDRAWAL_CODE = "pending_withdrawal"


def deposit_movement(deposit_id: int, credited_to: int) -> str:
    """One credit of a deposit, named by the total it brings the deposit to, so the same
    rise can never be booked twice."""
    return f"deposit:d{deposit_id}:{credited_to}"


def withdrawal_movement(payout_id: int, step: str) -> str:
    """`step`: "held" (wallet -> pending), "paid" or "back"."""
    return f"withdrawal:p{payout_id}:{step}"


@dataclass(frozen=True)
class Entry:
    movement: str
    kind: MovementKind
    account: str
    amount: int


def transfer(
    movement: str, kind: MovementKind, source: str, target: str, amount: int
) -> tuple[Entry, Entry]:
    """The two entries of one movement: `amount` leaves `source` and reaches `target`."""
    check_amount(amount)
    if source == target:
        raise ValueError("a movement needs two different accounts")
    return Entry(movement, kind, source, -amount), Entry(movement, kind, target, amount)


@dataclass(frozen=True)
class Violation:
    rule: str
    subject: str
    detail: str

    def __str__(self) -> str:
        return f"{self.rule}: {self.subject}: {self.detail}"
