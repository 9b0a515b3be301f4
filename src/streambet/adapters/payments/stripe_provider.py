"""Stripe through its official SDK (`stripe`). Deposits are PaymentIntents, credited only
from the `payment_intent.*` webhooks that `stripe.Webhook.construct_event` verifies
(signature and timestamp tolerance). Paying a user needs Stripe Connect: a Transfer to the
user's connected account, then a Payout on that account; its final word comes back as a
`payout.paid` / `payout.failed` webhook. Every call carries an idempotency key made from
our row's id, so a retry after a crash gets the first answer instead of a second payment
(Stripe keeps a key 24 hours; domain/payments.py keeps the retries well inside that).

The secret key is handed to the SDK's client and used for nothing else; neither it nor
the webhook secret is ever logged.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import stripe
from stripe._base_address import BaseAddresses

from streambet.adapters.payments.ports import (
    BadSignature,
    DepositOrder,
    DepositRefused,
    DepositStarted,
    MalformedEvent,
    PayoutDeclined,
    PayoutOrder,
    PayoutReport,
    PayoutResult,
    ProviderEvent,
    ProviderRecord,
    ProviderUnavailable,
)
from streambet.domain.payments import DepositReport, ReportKind

TOLERANCE_SECONDS = 300  # Stripe's default: an older signature is refused as a replay
DESTINATION_PREFIX = "acct_"  # a Connect account id

_PI_EVENTS = {
    "payment_intent.created": ReportKind.WAITING,
    "payment_intent.requires_action": ReportKind.WAITING,
    "payment_intent.processing": ReportKind.PROGRESS,
    "payment_intent.succeeded": ReportKind.SUCCEEDED,
    # Our page starts a new deposit after a failed attempt, so a failure ends this one.
    "payment_intent.payment_failed": ReportKind.FAILED,
    "payment_intent.canceled": ReportKind.FAILED,
}
_PI_STATUS = {
    "succeeded": ReportKind.SUCCEEDED,
    "processing": ReportKind.PROGRESS,
    "canceled": ReportKind.FAILED,
}


@dataclass(frozen=True)
class StripeConfig:
    secret_key: str
    webhook_secret: str
    api_base: str = ""  # empty: Stripe's own; tests point it at a local server


def _our_id(obj: Mapping[str, Any], key: str) -> int | None:
    meta = obj.get("metadata") or {}
    value = meta.get(key)
    return int(value) if isinstance(value, str) and value.isdigit() else None


def _arrived(obj: Mapping[str, Any], kind: ReportKind) -> int:
    received = obj.get("amount_received")
    if isinstance(received, int):
        return received
    # Older API versions (and localstripe) carry no amount_received: a succeeded intent
    # received its amount.
    return int(obj["amount"]) if kind is ReportKind.SUCCEEDED else 0


class StripeProvider:
    name = "stripe"

    def __init__(self, config: StripeConfig) -> None:
        self._webhook_secret = config.webhook_secret
        addresses: BaseAddresses = {"api": config.api_base} if config.api_base else {}
        # Retries inside the SDK reuse the idempotency key, so they are safe.
        self._client = stripe.StripeClient(
            config.secret_key, base_addresses=addresses, max_network_retries=2
        )

    def start_deposit(self, order: DepositOrder) -> DepositStarted:
        try:
            intent = self._client.v1.payment_intents.create(
                params={
                    "amount": order.amount,
                    "currency": order.currency,
                    "metadata": {
                        "deposit_id": str(order.deposit_id),
                        "user_id": str(order.user_id),
                    },
                },
                options={"idempotency_key": f"streambet-deposit-{order.deposit_id}"},
            )
        except (stripe.InvalidRequestError, stripe.CardError) as exc:
            raise DepositRefused(_describe(exc)) from None
        except stripe.StripeError as exc:
            raise ProviderUnavailable(_describe(exc)) from None
        return DepositStarted(
            intent.id,
            {"kind": "stripe", "payment_intent": intent.id, "client_secret": intent.client_secret},
        )

    def verify_event(self, body: bytes, headers: Mapping[str, str]) -> ProviderEvent:
        header = headers.get("stripe-signature")
        if not header:
            raise BadSignature("no Stripe-Signature header")
        try:
            event = stripe.Webhook.construct_event(
                body, header, self._webhook_secret, TOLERANCE_SECONDS, api_key="unused"
            )
        except stripe.SignatureVerificationError as exc:
            raise BadSignature(str(exc).split(";")[0]) from None
        except ValueError:
            raise MalformedEvent("the body is not JSON") from None
        try:
            return _event(event.to_dict())
        except (KeyError, TypeError, ValueError) as exc:
            raise MalformedEvent(f"unreadable {exc}") from None

    def send_payout(self, order: PayoutOrder) -> PayoutResult:
        if not order.destination.startswith(DESTINATION_PREFIX):
            raise PayoutDeclined("the destination is not a Stripe Connect account")
        meta = {"payout_id": str(order.payout_id), "user_id": str(order.user_id)}
        try:
            transfer = self._client.v1.transfers.create(
                params={
                    "amount": order.amount,
                    "currency": order.currency,
                    "destination": order.destination,
                    "transfer_group": order.key,
                    "metadata": meta,
                },
                options={"idempotency_key": f"{order.key}-transfer"},
            )
        except (stripe.InvalidRequestError, stripe.PermissionError) as exc:
            raise PayoutDeclined(_describe(exc)) from None
        except stripe.StripeError as exc:
            raise ProviderUnavailable(_describe(exc)) from None
        try:
            payout = self._client.v1.payouts.create(
                params={"amount": order.amount, "currency": order.currency, "metadata": meta},
                options={
                    "idempotency_key": f"{order.key}-payout",
                    "stripe_account": order.destination,
                },
            )
        except (stripe.InvalidRequestError, stripe.PermissionError) as exc:
            self._reverse(transfer.id, order)
            raise PayoutDeclined(_describe(exc)) from None
        except stripe.StripeError as exc:
            raise ProviderUnavailable(_describe(exc)) from None
        if payout.status == "failed":
            self._reverse(transfer.id, order)
            raise PayoutDeclined(payout.failure_message or "the payout failed")
        return PayoutResult(payout.id, "paid" if payout.status == "paid" else "sent")

    def _reverse(self, transfer_id: str, order: PayoutOrder) -> None:
        """Takes a transfer back from the connected account once its payout was refused,
        so the money returned to the wallet is not also left with the user."""
        try:
            self._client.v1.transfers.reversals.create(
                transfer_id,
                params={"metadata": {"payout_id": str(order.payout_id)}},
                options={"idempotency_key": f"{order.key}-reversal"},
            )
        except stripe.StripeError as exc:
            raise ProviderUnavailable(f"transfer reversal: {_describe(exc)}") from None

    def list_deposits(self, since: datetime) -> list[ProviderRecord]:
        out = []
        try:
            page = self._client.v1.payment_intents.list(params={"limit": 100})
            for intent in page.auto_paging_iter():
                created = datetime.fromtimestamp(intent.created, UTC)
                if created < since:
                    continue
                obj = intent.to_dict()
                kind = _PI_STATUS.get(obj["status"], ReportKind.WAITING)
                out.append(
                    ProviderRecord(
                        "deposit",
                        intent.id,
                        _our_id(obj, "deposit_id"),
                        int(obj["amount"]),
                        str(obj["currency"]),
                        kind.value,
                        _arrived(obj, kind),
                        created,
                    )
                )
        except stripe.StripeError as exc:
            raise ProviderUnavailable(_describe(exc)) from None
        return out

    def list_payouts(
        self, since: datetime, destinations: tuple[str, ...] = ()
    ) -> list[ProviderRecord]:
        """Payouts on the connected accounts our withdrawals went to."""
        seen: dict[str, ProviderRecord] = {}
        try:
            for account in destinations:
                page = self._client.v1.payouts.list(
                    params={"limit": 100}, options={"stripe_account": account}
                )
                for payout in page.auto_paging_iter():
                    created = datetime.fromtimestamp(payout.created, UTC)
                    if created < since or payout.id in seen:
                        continue
                    obj = payout.to_dict()
                    status = {"paid": "paid", "failed": "failed", "canceled": "failed"}
                    seen[payout.id] = ProviderRecord(
                        "payout",
                        payout.id,
                        _our_id(obj, "payout_id"),
                        int(obj["amount"]),
                        str(obj["currency"]),
                        status.get(obj["status"], "pending"),
                        created=created,
                    )
        except stripe.StripeError as exc:
            raise ProviderUnavailable(_describe(exc)) from None
        return list(seen.values())


def _event(data: dict[str, Any]) -> ProviderEvent:
    """A verified Stripe event in our words; types we do not handle carry no report."""
    event_type = str(data["type"])
    obj: dict[str, Any] = data["data"]["object"]
    if event_type in _PI_EVENTS:
        kind = _PI_EVENTS[event_type]
        report = DepositReport(kind, int(obj["amount"]), str(obj["currency"]), _arrived(obj, kind))
        return ProviderEvent(
            str(data["id"]),
            event_type,
            data,
            provider_ref=str(obj["id"]),
            deposit_id=_our_id(obj, "deposit_id"),
            deposit=report,
        )
    if event_type == "charge.refunded" and obj.get("payment_intent"):
        # Money given back to the payer: flagged for review if it had been credited.
        refund = DepositReport(ReportKind.REFUNDED, int(obj["amount"]), str(obj["currency"]), 0)
        return ProviderEvent(
            str(data["id"]),
            event_type,
            data,
            provider_ref=str(obj["payment_intent"]),
            deposit_id=_our_id(obj, "deposit_id"),
            deposit=refund,
        )
    if event_type in ("payout.paid", "payout.failed"):
        payout = PayoutReport(
            "paid" if event_type == "payout.paid" else "failed",
            int(obj["amount"]),
            str(obj["currency"]),
            str(obj.get("failure_message") or ""),
        )
        return ProviderEvent(
            str(data["id"]),
            event_type,
            data,
            provider_ref=str(obj["id"]),
            payout_id=_our_id(obj, "payout_id"),
            payout=payout,
        )
    return ProviderEvent(str(data["id"]), event_type, data, provider_ref=obj.get("id"))


def _describe(exc: stripe.StripeError) -> str:
    """The error's own message and code: never the request, which carries the key."""
    code = getattr(exc, "code", None)
    return f"{type(exc).__name__}: {exc.user_message or 'no message'}" + (
        f" ({code})" if code else ""
    )
