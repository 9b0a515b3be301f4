"""What the payment use cases are handed besides a unit of work (the providers by name,
the books' currency and the withdrawal approval threshold), and what an event did."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from streambet.adapters.payments.ports import DepositProvider, PayoutProvider
from streambet.domain.payments import Decision


@dataclass(frozen=True)
class PaymentPolicy:
    currency: str = "eur"
    approval_threshold: int = 100_000  # minor units; a larger withdrawal waits for an admin


@dataclass(frozen=True)
class Providers:
    """The enabled providers: deposits by name (the first is the default), one for payouts."""

    deposits: Mapping[str, DepositProvider]
    payouts: PayoutProvider
    policy: PaymentPolicy = field(default_factory=PaymentPolicy)

    @property
    def default_deposit(self) -> str:
        return next(iter(self.deposits))


@dataclass(frozen=True)
class EventResult:
    """What a verified provider event did."""

    decision: Decision | str  # a Decision, or "unknown" / "ignored" / "mismatch" ...
    deposit_id: int | None = None
    payout_id: int | None = None
    note: str | None = None
