"""Reconciliation: the providers' records of deposits and payouts against ours and the
ledger's, one line per mismatch. It reports; it never fixes (a person decides, since the
fix depends on why: a missed webhook, a refund, a payment made outside StreamBet).

Deposits: every provider payment since `since` must be a deposit of ours whose credited
amount (which `ledger verify` proves equal to its ledger movements) is what the provider
says arrived; every deposit of ours with a provider reference must be at the provider.
Payouts: every provider payout must be an intent of ours of the same amount, paid at the
provider exactly when it is paid here; intents the provider has never seen must not be
marked sent or paid.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from streambet.adapters.orm.payments import Deposit, PayoutIntent
from streambet.adapters.payments.ports import ProviderRecord
from streambet.domain.payments import PayoutStatus, ReportKind
from streambet.services.payment_policy import Providers
from streambet.services.unit_of_work import UnitOfWork


@dataclass(frozen=True)
class Mismatch:
    provider: str
    kind: str  # deposit | payout
    subject: str  # "deposit 12 / pi_..." or the provider's reference
    problem: str

    def __str__(self) -> str:
        return f"{self.provider} {self.kind} {self.subject}: {self.problem}"


def _expected_credit(record: ProviderRecord) -> int:
    if record.status in (ReportKind.SUCCEEDED.value, ReportKind.PARTIAL.value):
        return record.arrived
    return 0


def _deposits(
    provider: str, records: Iterable[ProviderRecord], ours: list[Deposit]
) -> list[Mismatch]:
    out: list[Mismatch] = []
    by_ref = {d.provider_ref: d for d in ours if d.provider_ref}
    by_id = {d.id: d for d in ours}
    seen: set[int] = set()
    for rec in records:
        row = by_ref.get(rec.provider_ref) or (by_id.get(rec.our_id) if rec.our_id else None)
        expected = _expected_credit(rec)
        if row is None:
            if expected or rec.status == ReportKind.PROGRESS.value:
                out.append(
                    Mismatch(
                        provider,
                        "deposit",
                        rec.provider_ref,
                        f"{rec.status} at the provider ({rec.arrived} of {rec.amount}"
                        f" {rec.currency}), no deposit here",
                    )
                )
            continue
        seen.add(row.id)
        subject = f"deposit {row.id} / {rec.provider_ref}"
        if rec.amount != row.amount or rec.currency.lower() != row.currency.lower():
            out.append(
                Mismatch(
                    provider,
                    "deposit",
                    subject,
                    f"provider amount {rec.amount} {rec.currency}, ours {row.amount}"
                    f" {row.currency}",
                )
            )
        elif rec.status == ReportKind.REFUNDED.value and row.credited:
            out.append(
                Mismatch(provider, "deposit", subject, f"refunded, credited {row.credited} here")
            )
        elif expected != row.credited:
            out.append(
                Mismatch(
                    provider,
                    "deposit",
                    subject,
                    f"{rec.status} at the provider with {expected} arrived, credited"
                    f" {row.credited} here ({row.status})",
                )
            )
    for row in ours:
        if row.id not in seen and row.provider_ref and (row.credited or row.status != "failed"):
            out.append(
                Mismatch(
                    provider,
                    "deposit",
                    f"deposit {row.id} / {row.provider_ref}",
                    f"{row.status} here (credited {row.credited}), not at the provider",
                )
            )
    return out


def _payouts(
    provider: str, records: Iterable[ProviderRecord], ours: list[PayoutIntent]
) -> list[Mismatch]:
    out: list[Mismatch] = []
    by_ref = {p.provider_ref: p for p in ours if p.provider_ref}
    by_id = {p.id: p for p in ours}
    seen: set[int] = set()
    for rec in records:
        row = by_ref.get(rec.provider_ref) or (by_id.get(rec.our_id) if rec.our_id else None)
        if row is None:
            out.append(
                Mismatch(
                    provider,
                    "payout",
                    rec.provider_ref,
                    f"{rec.status} at the provider ({rec.amount} {rec.currency}), no withdrawal"
                    " here",
                )
            )
            continue
        seen.add(row.id)
        subject = f"withdrawal {row.id} / {rec.provider_ref}"
        status = PayoutStatus(row.status)
        if rec.amount != row.amount or rec.currency.lower() != row.currency.lower():
            out.append(
                Mismatch(
                    provider,
                    "payout",
                    subject,
                    f"provider amount {rec.amount} {rec.currency}, ours {row.amount}",
                )
            )
        elif (rec.status == "paid") != (status is PayoutStatus.PAID) or (
            rec.status == "failed" and status is not PayoutStatus.FAILED
        ):
            out.append(
                Mismatch(
                    provider, "payout", subject, f"{rec.status} at the provider, {status} here"
                )
            )
    for row in ours:
        if row.id not in seen and row.status in (PayoutStatus.SENT.value, PayoutStatus.PAID.value):
            out.append(
                Mismatch(
                    provider,
                    "payout",
                    f"withdrawal {row.id} / {row.provider_ref}",
                    f"{row.status} here, not at the provider",
                )
            )
    return out


def reconcile(uow: UnitOfWork, providers: Providers, since: datetime) -> list[Mismatch]:
    """Every mismatch between the providers and our books since `since`."""
    out: list[Mismatch] = []
    with uow:
        session = uow.session
        for name, provider in providers.deposits.items():
            ours = list(
                session.scalars(
                    select(Deposit).where(Deposit.provider == name, Deposit.created_at >= since)
                )
            )
            out.extend(_deposits(name, provider.list_deposits(since), ours))
        payer = providers.payouts
        intents = list(
            session.scalars(
                select(PayoutIntent).where(
                    PayoutIntent.provider == payer.name, PayoutIntent.created_at >= since
                )
            )
        )
        destinations = tuple(sorted({p.destination for p in intents}))
        out.extend(_payouts(payer.name, payer.list_payouts(since, destinations), intents))
    return out
