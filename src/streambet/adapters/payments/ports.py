"""The payment ports and the values that cross them.

Providers speak their own words (Stripe's `payment_intent.succeeded`, NOWPayments'
`partially_paid`); an adapter turns each verified event into a `ProviderEvent` whose
`DepositReport` or `PayoutReport` uses the domain's words (domain/payments.py), so the
use cases never see a provider's vocabulary.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal, Protocol

from streambet.domain.payments import DepositReport


class BadSignature(Exception):
    """The event is unsigned, badly signed or too old: nothing in it can be trusted."""


class MalformedEvent(Exception):
    """Signed, but not an event this adapter can read."""


class DepositRefused(Exception):
    """The provider refused to start the payment (e.g. below its minimum): say so."""


class PayoutDeclined(Exception):
    """The provider definitely refused the payout: the money can go back to the user."""


class ProviderUnavailable(Exception):
    """No definite answer (network, 5xx, rate limit): try again later with the same key."""


@dataclass(frozen=True)
class DepositOrder:
    deposit_id: int
    user_id: int
    amount: int  # minor units of `currency`
    currency: str
    pay_currency: str | None  # what the payer pays in, where the provider converts (crypto)
    callback_url: str  # where this provider should send its events about the deposit


@dataclass(frozen=True)
class DepositStarted:
    provider_ref: str
    instructions: dict[str, Any]  # what the payer's page needs (no secrets of ours)
    # A provider that settles on the spot (play money) reports it here, as if by event.
    settled: DepositReport | None = None


PayoutState = Literal["paid", "sent"]


@dataclass(frozen=True)
class PayoutOrder:
    payout_id: int  # also the idempotency key: a repeat answers with the first result
    user_id: int
    amount: int
    currency: str
    destination: str

    @property
    def key(self) -> str:
        return f"streambet-payout-{self.payout_id}"


@dataclass(frozen=True)
class PayoutResult:
    provider_ref: str
    state: PayoutState  # paid now, or accepted with the final word to come by event


@dataclass(frozen=True)
class PayoutReport:
    state: Literal["paid", "failed"]
    amount: int
    currency: str
    reason: str = ""


@dataclass(frozen=True)
class ProviderEvent:
    """A verified event. `key` is unique per provider: the same key twice is a replay."""

    key: str
    type: str
    payload: dict[str, Any]
    provider_ref: str | None = None
    deposit_id: int | None = None  # ours, as we gave it to the provider (metadata, order id)
    payout_id: int | None = None
    deposit: DepositReport | None = None
    payout: PayoutReport | None = None


@dataclass(frozen=True)
class ProviderRecord:
    """One deposit or payout as the provider lists it (for reconciliation)."""

    kind: Literal["deposit", "payout"]
    provider_ref: str
    our_id: int | None
    amount: int
    currency: str
    # deposits: the domain's ReportKind value; payouts: "paid", "pending" or "failed"
    status: str
    arrived: int = 0  # deposits: minor units that arrived
    created: datetime | None = None
    extra: dict[str, Any] = field(default_factory=dict)


class DepositProvider(Protocol):
    name: str

    def start_deposit(self, order: DepositOrder) -> DepositStarted:
        """Creates the provider's payment for `order` (idempotent on its deposit id)."""
        ...

    def verify_event(self, body: bytes, headers: Mapping[str, str]) -> ProviderEvent:
        """The event in `body`, if its signature verifies; BadSignature or MalformedEvent.
        `headers` has lower-case names."""
        ...

    def list_deposits(self, since: datetime) -> list[ProviderRecord]: ...


class PayoutProvider(Protocol):
    name: str

    def send_payout(self, order: PayoutOrder) -> PayoutResult:
        """Sends `order` with `order.key` as the idempotency key: PayoutDeclined when the
        provider refuses, ProviderUnavailable when there is no definite answer."""
        ...

    def list_payouts(self, since: datetime, destinations: tuple[str, ...]) -> list[ProviderRecord]:
        """Payouts since `since`; `destinations`: where ours went (some providers list
        per account)."""
        ...
