"""Money in and out through payment providers: the states of a deposit and of a payout
intent, what a verified provider event is worth, and the retry schedule of payouts.

A deposit is credited only from a verified provider event, and only ever upwards: each
event says how much of the deposit has arrived by then (`DepositReport.arrived`), the
deposit's `credited` amount rises to it if it is higher, and nothing ever lowers it. So a
replayed or out-of-order event cannot credit twice or undo a later state, and events may
arrive in any order.

Policy for `partially_paid` (NOWPayments: the payer sent less than asked): credit what
actually arrived, converted into the deposit's currency by the provider's own reported
amounts (`price_amount x actually_paid / pay_amount`, rounded down to a minor unit,
capped at the deposit), and flag the deposit for review. A later `finished` for the same
payment tops the credit up to the full amount.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta
from decimal import ROUND_DOWN, Decimal, InvalidOperation
from enum import StrEnum

from streambet.domain.errors import ValidationFailed

# The payment providers by name (STREAMBET_PAYMENTS; adapters/payments/registry.py builds
# them): all take deposits; NOWPayments payouts (JWT login + 2FA) are not built.
DEPOSIT_PROVIDERS = ("play", "stripe", "nowpayments")
PAYOUT_PROVIDERS = ("play", "stripe")


class DepositStatus(StrEnum):
    CREATED = "created"  # the provider has a payment; nothing arrived yet
    PENDING = "pending"  # the provider reports money on its way (confirming, processing)
    CREDITED = "credited"  # the whole amount is in the wallet
    PARTIAL = "partial"  # part of it arrived and is in the wallet; flagged for review
    FAILED = "failed"  # failed, expired or canceled before anything arrived

    @property
    def open(self) -> bool:
        return self in (DepositStatus.CREATED, DepositStatus.PENDING, DepositStatus.PARTIAL)


class ReportKind(StrEnum):
    """What one provider event says about a deposit, whatever the provider's words."""

    WAITING = "waiting"  # created, nothing sent yet
    PROGRESS = "progress"  # money seen, not final
    PARTIAL = "partial"  # final: less than asked arrived
    SUCCEEDED = "succeeded"  # final: all of it arrived
    FAILED = "failed"  # final: nothing will arrive (failed, expired, canceled)
    REFUNDED = "refunded"  # the provider gave the money back to the payer


@dataclass(frozen=True)
class DepositReport:
    kind: ReportKind
    amount: int  # the payment's amount in minor units of `currency`, as the provider says
    currency: str
    arrived: int  # minor units of `currency` that have arrived by this event


class Decision(StrEnum):
    APPLIED = "applied"  # the deposit changed
    SAME = "same"  # consistent with where the deposit already is
    NO_CHANGE = "no_change"  # out of order: a later state had already decided
    CLOSED = "closed"  # the deposit had failed: recorded, never credited
    MISMATCH = "mismatch"  # wrong currency or amount: recorded, not credited, flagged
    REVIEW = "review"  # recorded and flagged (a refund after credit): nothing moves


@dataclass(frozen=True)
class DepositChange:
    decision: Decision
    status: DepositStatus
    credit: int  # minor units to credit now (0 unless APPLIED with a rise)
    review: str | None = None  # why a person should look, if they should


def decide(
    status: DepositStatus, amount: int, currency: str, credited: int, report: DepositReport
) -> DepositChange:
    """What one verified event does to a deposit of `amount` `currency` that has `credited`
    so far and is in `status`."""
    if report.currency.lower() != currency.lower() or report.amount != amount:
        return DepositChange(
            Decision.MISMATCH,
            status,
            0,
            f"event for {report.amount} {report.currency}, deposit is {amount} {currency}",
        )
    if not 0 <= report.arrived <= amount:
        return DepositChange(
            Decision.MISMATCH, status, 0, f"event says {report.arrived} arrived of {amount}"
        )
    if status is DepositStatus.FAILED:
        if report.kind in (ReportKind.SUCCEEDED, ReportKind.PARTIAL, ReportKind.PROGRESS):
            return DepositChange(
                Decision.CLOSED, status, 0, "money reported for a deposit that had failed"
            )
        return DepositChange(Decision.SAME, status, 0)
    if report.kind is ReportKind.REFUNDED:
        if credited > 0:
            return DepositChange(
                Decision.REVIEW, status, 0, "the provider refunded a credited deposit"
            )
        return DepositChange(Decision.APPLIED, DepositStatus.FAILED, 0)
    if report.kind is ReportKind.FAILED:
        if credited > 0 or status is DepositStatus.CREDITED:
            return DepositChange(Decision.NO_CHANGE, status, 0)  # money arrived: too late
        return DepositChange(Decision.APPLIED, DepositStatus.FAILED, 0)
    if report.kind is ReportKind.SUCCEEDED:
        target, new_status, review = amount, DepositStatus.CREDITED, None
    elif report.kind is ReportKind.PARTIAL:
        target, new_status = report.arrived, DepositStatus.PARTIAL
        review = f"partially paid: {report.arrived} of {amount} arrived"
    elif report.kind is ReportKind.PROGRESS:
        target, new_status, review = 0, DepositStatus.PENDING, None
    else:
        target, new_status, review = 0, DepositStatus.CREATED, None
    if target > credited:
        if new_status is DepositStatus.PARTIAL and target == amount:
            new_status, review = DepositStatus.CREDITED, None
        return DepositChange(Decision.APPLIED, new_status, target - credited, review)
    if _rank(new_status) > _rank(status):
        return DepositChange(Decision.APPLIED, new_status, 0)
    if _rank(new_status) == _rank(status):  # the same news again, in order: nothing to do
        return DepositChange(Decision.SAME, status, 0)
    return DepositChange(Decision.NO_CHANGE, status, 0)


def _rank(status: DepositStatus) -> int:
    return {
        DepositStatus.CREATED: 0,
        DepositStatus.PENDING: 1,
        DepositStatus.PARTIAL: 2,
        DepositStatus.CREDITED: 3,
        DepositStatus.FAILED: 3,
    }[status]


def partial_arrived(price_amount: int, pay_amount: Decimal, actually_paid: Decimal) -> int:
    """Minor units of the price currency that `actually_paid` of `pay_amount` is worth,
    at the provider's own rate; rounded down, capped at `price_amount`."""
    if pay_amount <= 0 or actually_paid <= 0:
        return 0
    worth = (Decimal(price_amount) * actually_paid / pay_amount).to_integral_value(ROUND_DOWN)
    return min(price_amount, int(worth))


# ISO 4217 minor units of the currencies deposits may be priced in; 2 unless listed.
_EXPONENT = {"jpy": 0, "krw": 0, "bhd": 3, "kwd": 3}


def exponent(currency: str) -> int:
    return _EXPONENT.get(currency.lower(), 2)


def to_minor(value: object, currency: str) -> int:
    """A provider's decimal amount ("12.5", 12.5) in whole minor units; a fraction of a
    minor unit is refused, never rounded."""
    try:
        dec = Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise ValidationFailed(f"{value!r} is not an amount.") from None
    minor = dec.scaleb(exponent(currency))
    if minor != minor.to_integral_value():
        raise ValidationFailed(f"{value!r} {currency} is not a whole number of minor units.")
    return int(minor)


def to_major(amount: int, currency: str) -> Decimal:
    """Minor units as the provider's decimal amount (1250 eur -> Decimal("12.50"))."""
    return Decimal(amount).scaleb(-exponent(currency))


class PayoutStatus(StrEnum):
    """A withdrawal's payout intent. The money left the wallet for the pending-withdrawal
    account when it was requested; it goes on to the provider when paid, or back to the
    wallet when it fails or is rejected."""

    AWAITING_APPROVAL = "awaiting_approval"  # above the threshold: an admin decides first
    QUEUED = "queued"  # the worker sends it (again, at next_attempt_at)
    SENT = "sent"  # the provider accepted it; its final word comes by webhook
    PAID = "paid"
    FAILED = "failed"  # the provider refused or failed it: the money went back
    REJECTED = "rejected"  # an admin refused it: the money went back
    STALLED = "stalled"  # retries ran out without a definite answer: a person decides

    @property
    def holds_funds(self) -> bool:
        """Its amount is still in the pending-withdrawal account."""
        return self not in (PayoutStatus.PAID, PayoutStatus.FAILED, PayoutStatus.REJECTED)


# Stripe keeps an idempotency key 24 hours: every retry of a payout must fall inside that,
# or a retry could pay twice. 8 attempts with this backoff span about 2 hours.
MAX_PAYOUT_ATTEMPTS = 8
_BACKOFF_BASE = timedelta(seconds=30)
_BACKOFF_CAP = timedelta(minutes=30)


def backoff(attempts: int) -> timedelta:
    """How long to wait after the `attempts`-th failed try (30 s, 1 min, 2 min, ... 30 min)."""
    wait: timedelta = _BACKOFF_BASE * 2 ** max(attempts - 1, 0)
    return min(wait, _BACKOFF_CAP)


def needs_approval(amount: int, threshold: int) -> bool:
    """Withdrawals above `threshold` minor units wait for an admin (0: none do)."""
    return threshold > 0 and amount > threshold


def check_destination(provider: str, destination: str) -> str:
    """Where a withdrawal goes, as the payout provider needs it: a Stripe Connect account
    id (acct_...) for Stripe; anything (or nothing) for play money."""
    destination = destination.strip()
    if provider == "stripe" and not re.fullmatch(r"acct_[A-Za-z0-9]{1,100}", destination):
        raise ValidationFailed(
            "Stripe withdrawals go to your connected Stripe account (acct_...).",
            details={"field": "destination"},
        )
    if len(destination) > 128:
        raise ValidationFailed("That destination is too long.", details={"field": "destination"})
    return destination or provider
