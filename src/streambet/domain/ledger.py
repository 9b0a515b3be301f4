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
    PROVIDER = "provider"  # the payout provider's side of deposits and withdrawals


# Only these may go below zero: they are the outside world's side of the books.
MAY_GO_NEGATIVE = frozenset({AccountKind.MINT, AccountKind.PROVIDER})


class MovementKind(StrEnum):
    GRANT = "grant"
    DEPOSIT = "deposit"
    WITHDRAWAL = "withdrawal"
    STAKE = "stake"
    PAYOUT = "payout"
    REFUND = "refund"
    TAKEOUT = "takeout"
    BREAKAGE = "breakage"


def wallet_code(user_id: int) -> str:
    return f"wallet:{user_id}"


def pool_code(market_id: int) -> str:
    return f"pool:{market_id}"


HOUSE_CODE = "house"
MINT_CODE = "mint"
PROVIDER_CODE = "provider"


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
