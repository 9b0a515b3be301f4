"""NOWPayments (crypto) over its documented REST API with `requests`: `POST /v1/payment`
creates a payment (the payer sends crypto to its address), and the IPN callback reports
each status change. An IPN counts only when its `x-nowpayments-sig` header is the
HMAC-SHA512, keyed with the IPN secret, of the body's JSON with every object's keys
sorted (nested ones too) and no spaces, as NOWPayments' own example builds it
(`JSON.stringify(params, Object.keys(params).sort())`).

IPNs carry no event id, so the event key is the payment id, its status and a digest of
the signed body: the same IPN twice is a replay (refused), while a later IPN with the same
status but other content is news, which the deposit's state then judges (it can only
raise what was credited). They carry no signed timestamp either, so a stale IPN is caught
by that key and by the deposit's state, not by its age.

The API key and IPN secret are used for the header and the HMAC only, never logged.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import requests

from streambet.adapters.payments.ports import (
    BadSignature,
    DepositOrder,
    DepositRefused,
    DepositStarted,
    MalformedEvent,
    ProviderEvent,
    ProviderRecord,
    ProviderUnavailable,
)
from streambet.domain.errors import ValidationFailed
from streambet.domain.payments import (
    DepositReport,
    ReportKind,
    partial_arrived,
    to_major,
    to_minor,
)

SIGNATURE_HEADER = "x-nowpayments-sig"
TIMEOUT = (5, 20)  # connect, read (seconds)
PAGE = 500  # the most the payments list returns at once

STATUS = {
    "waiting": ReportKind.WAITING,
    "confirming": ReportKind.PROGRESS,
    "confirmed": ReportKind.PROGRESS,
    "sending": ReportKind.PROGRESS,
    "partially_paid": ReportKind.PARTIAL,
    "finished": ReportKind.SUCCEEDED,
    "failed": ReportKind.FAILED,
    "expired": ReportKind.FAILED,
    "refunded": ReportKind.REFUNDED,
}


@dataclass(frozen=True)
class NowPaymentsConfig:
    api_key: str
    ipn_secret: str
    api_base: str = "https://api.nowpayments.io"
    pay_currency: str = "btc"  # when the payer names none


def canonical_json(body: Any) -> str:
    """The text NOWPayments signs: keys sorted at every level, no whitespace."""
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def sign(body: Any, secret: str) -> str:
    return hmac.new(
        secret.encode(), canonical_json(body).encode("utf-8"), hashlib.sha512
    ).hexdigest()


def _order_id(deposit_id: int) -> str:
    return f"streambet-d{deposit_id}"


def _deposit_id(order_id: object) -> int | None:
    text = str(order_id or "")
    digits = text.removeprefix("streambet-d")
    return int(digits) if text.startswith("streambet-d") and digits.isdigit() else None


def report_of(payment: Mapping[str, Any]) -> DepositReport:
    """A payment (IPN body or list entry) in the domain's words."""
    status = str(payment["payment_status"])
    if status not in STATUS:
        raise MalformedEvent(f"unknown payment_status {status!r}")
    kind = STATUS[status]
    currency = str(payment["price_currency"]).lower()
    try:
        amount = to_minor(payment["price_amount"], currency)
    except ValidationFailed as exc:
        raise MalformedEvent(exc.message) from None
    if kind is ReportKind.SUCCEEDED:
        arrived = amount
    elif kind is ReportKind.PARTIAL:
        arrived = partial_arrived(
            amount,
            Decimal(str(payment.get("pay_amount") or 0)),
            Decimal(str(payment.get("actually_paid") or 0)),
        )
    else:
        arrived = 0
    return DepositReport(kind, amount, currency, arrived)


class NowPaymentsProvider:
    name = "nowpayments"

    def __init__(self, config: NowPaymentsConfig, session: requests.Session | None = None) -> None:
        self._config = config
        self._http = session or requests.Session()

    def _headers(self) -> dict[str, str]:
        return {"x-api-key": self._config.api_key, "Accept": "application/json"}

    def start_deposit(self, order: DepositOrder) -> DepositStarted:
        body: dict[str, Any] = {
            "price_amount": float(to_major(order.amount, order.currency)),
            "price_currency": order.currency.lower(),
            "pay_currency": (order.pay_currency or self._config.pay_currency).lower(),
            "ipn_callback_url": order.callback_url,
            "order_id": _order_id(order.deposit_id),
            "order_description": f"StreamBet deposit {order.deposit_id}",
        }
        try:
            response = self._http.post(
                f"{self._config.api_base}/v1/payment",
                json=body,
                headers=self._headers(),
                timeout=TIMEOUT,
            )
        except requests.RequestException as exc:
            raise ProviderUnavailable(type(exc).__name__) from None
        if 400 <= response.status_code < 500:
            raise DepositRefused(_message(response))
        if response.status_code >= 300:
            raise ProviderUnavailable(f"HTTP {response.status_code}")
        data = response.json()
        instructions = {
            "kind": "nowpayments",
            "payment_id": str(data["payment_id"]),
            "pay_address": data.get("pay_address"),
            "pay_amount": data.get("pay_amount"),
            "pay_currency": data.get("pay_currency"),
        }
        return DepositStarted(str(data["payment_id"]), instructions)

    def verify_event(self, body: bytes, headers: Mapping[str, str]) -> ProviderEvent:
        given = headers.get(SIGNATURE_HEADER)
        if not given:
            raise BadSignature(f"no {SIGNATURE_HEADER} header")
        try:
            payload = json.loads(body)
        except ValueError:
            raise BadSignature("the body is not JSON") from None
        if not isinstance(payload, dict):
            raise BadSignature("the body is not a JSON object")
        expected = sign(payload, self._config.ipn_secret)
        if not hmac.compare_digest(expected, given.strip().lower()):
            raise BadSignature("the signature does not match")
        try:
            report = report_of(payload)
            payment_id = str(payload["payment_id"])
        except KeyError as exc:
            raise MalformedEvent(f"missing {exc}") from None
        digest = hashlib.sha256(canonical_json(payload).encode()).hexdigest()[:32]
        key = f"{payment_id}:{payload['payment_status']}:{digest}"
        return ProviderEvent(
            key,
            str(payload["payment_status"]),
            payload,
            provider_ref=payment_id,
            deposit_id=_deposit_id(payload.get("order_id")),
            deposit=report,
        )

    def list_deposits(self, since: datetime) -> list[ProviderRecord]:
        out: list[ProviderRecord] = []
        page, pages = 0, 1
        while page < pages:
            params: dict[str, str | int] = {
                "limit": PAGE,
                "page": page,
                "sortBy": "created_at",
                "orderBy": "asc",
                "dateFrom": since.date().isoformat(),
            }
            try:
                response = self._http.get(
                    f"{self._config.api_base}/v1/payment/",
                    params=params,
                    headers=self._headers(),
                    timeout=TIMEOUT,
                )
                response.raise_for_status()
            except requests.RequestException as exc:
                raise ProviderUnavailable(type(exc).__name__) from None
            data = response.json()
            pages = int(data.get("pagesCount") or 0)
            for payment in data.get("data", []):
                created = _when(payment.get("created_at"))
                if created is not None and created < since:
                    continue
                report = report_of(payment)
                out.append(
                    ProviderRecord(
                        "deposit",
                        str(payment["payment_id"]),
                        _deposit_id(payment.get("order_id")),
                        report.amount,
                        report.currency,
                        report.kind.value,
                        report.arrived,
                        created,
                    )
                )
            page += 1
        return out


def _when(value: object) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _message(response: requests.Response) -> str:
    try:
        data = response.json()
    except ValueError:
        return f"HTTP {response.status_code}"
    message = data.get("message") if isinstance(data, dict) else None
    return str(message or f"HTTP {response.status_code}")
