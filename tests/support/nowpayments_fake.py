"""A local stand-in for NOWPayments' API, checking each request against the documented
API (research: anchors.md; the payment fields of `POST /v1/payment`, the list's query
parameters, the `x-api-key` header) and sending IPNs signed as documented: HMAC-SHA512 with
the IPN secret over the body's JSON with keys sorted (nested objects too), in the
`x-nowpayments-sig` header. A request the documentation would not accept is answered 400
and remembered in `refused`, so a test can assert there were none."""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import requests
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

API_KEY = "NP-TEST-API-KEY-0000"
IPN_SECRET = "np-test-ipn-secret"
CREATE_FIELDS = {
    "price_amount",
    "price_currency",
    "pay_amount",
    "pay_currency",
    "ipn_callback_url",
    "order_id",
    "order_description",
    "purchase_id",
    "payout_address",
    "payout_currency",
    "payout_extra_id",
    "fixed_rate",
    "is_fee_paid_by_user",
}
LIST_PARAMS = {"limit", "page", "sortBy", "orderBy", "dateFrom", "dateTo"}
RATE = 0.00002  # crypto per unit of the price currency
CURRENCIES = {"btc", "eth", "ltc", "usdttrc20", "xmr"}  # what this fake's store accepts


def sorted_deep(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: sorted_deep(value[k]) for k in sorted(value)}
    if isinstance(value, list):
        return [sorted_deep(v) for v in value]
    return value


def signature(body: dict[str, Any], secret: str = IPN_SECRET) -> str:
    """Signed the way the documentation's Node example does, written independently of the
    adapter (recursive sort, then compact JSON)."""
    text = json.dumps(sorted_deep(body), separators=(",", ":"), ensure_ascii=False)
    return hmac.new(secret.encode(), text.encode(), hashlib.sha512).hexdigest()


class FakeNowPayments:
    def __init__(self) -> None:
        self.payments: dict[str, dict[str, Any]] = {}
        self.refused: list[str] = []
        self.created: list[dict[str, Any]] = []
        self._ids = itertools.count(5_000_000_001)
        self.url = ""
        self.last: tuple[str, str, dict[str, str]] = ("", "", {})

    def _refuse(self, why: str) -> Response:
        self.refused.append(why)
        return Response(
            json.dumps({"statusCode": 400, "code": "INVALID_REQUEST_PARAMS", "message": why}),
            400,
            content_type="application/json",
        )

    def __call__(self, environ: Any, start_response: Any) -> Any:
        request = Request(environ)
        response = self._handle(request)
        return response(environ, start_response)

    def _handle(self, request: Request) -> Response:
        if request.headers.get("x-api-key") != API_KEY:
            self.refused.append("x-api-key missing or wrong")
            return Response(json.dumps({"message": "Invalid api key"}), 403)
        if request.method == "POST" and request.path == "/v1/payment":
            return self._create(request)
        if request.method == "GET" and request.path == "/v1/payment/":
            return self._list(request)
        return self._refuse(f"no such endpoint {request.method} {request.path}")

    def _create(self, request: Request) -> Response:
        body = request.get_json(silent=True)
        if not isinstance(body, dict):
            return self._refuse("body is not a JSON object")
        unknown = set(body) - CREATE_FIELDS
        if unknown:
            return self._refuse(f"unknown fields {sorted(unknown)}")
        price = body.get("price_amount")
        if not isinstance(price, int | float) or isinstance(price, bool) or price <= 0:
            return self._refuse("price_amount must be a positive number")
        for name in ("price_currency", "pay_currency"):
            if not isinstance(body.get(name), str) or not body[name]:
                return self._refuse(f"{name} is required")
        if body["pay_currency"] not in CURRENCIES:  # a documented refusal, not a bad request
            return Response(
                json.dumps({"message": f"Currency {body['pay_currency']} was not found"}), 400
            )
        for name in ("ipn_callback_url", "order_id", "order_description"):
            if name in body and not isinstance(body[name], str):
                return self._refuse(f"{name} must be a string")
        payment_id = next(self._ids)
        now = datetime.now(UTC).isoformat().replace("+00:00", "Z")
        payment = {
            "payment_id": payment_id,
            "payment_status": "waiting",
            "pay_address": f"bc1qfake{payment_id}",
            "price_amount": price,
            "price_currency": body["price_currency"],
            "pay_amount": round(price * RATE, 8),
            "actually_paid": 0,
            "pay_currency": body["pay_currency"],
            "order_id": body.get("order_id"),
            "order_description": body.get("order_description"),
            "ipn_callback_url": body.get("ipn_callback_url"),
            "purchase_id": str(payment_id + 7),
            "created_at": now,
            "updated_at": now,
            "outcome_amount": round(price * RATE * 0.995, 8),
            "outcome_currency": body["pay_currency"],
        }
        self.payments[str(payment_id)] = payment
        self.created.append(body)
        public = {k: v for k, v in payment.items() if k != "outcome_amount"}
        return Response(json.dumps(public), 201, content_type="application/json")

    def _list(self, request: Request) -> Response:
        unknown = set(request.args) - LIST_PARAMS
        if unknown:
            return self._refuse(f"unknown parameters {sorted(unknown)}")
        limit = int(request.args.get("limit", 10))
        page = int(request.args.get("page", 0))
        if not 1 <= limit <= 500 or page < 0:
            return self._refuse("limit is 1 to 500, page from 0")
        rows = [
            {k: v for k, v in p.items() if k != "ipn_callback_url"} for p in self.payments.values()
        ]
        chunk = rows[page * limit : (page + 1) * limit]
        pages = max(1, -(-len(rows) // limit))
        body = {
            "data": chunk,
            "limit": limit,
            "page": page,
            "pagesCount": pages,
            "total": len(rows),
        }
        return Response(json.dumps(body), 200, content_type="application/json")

    def ipn_body(self, payment_id: str, status: str, **changes: Any) -> dict[str, Any]:
        """The payment as an IPN would carry it, after `status` (and `changes`)."""
        payment = self.payments[str(payment_id)]
        payment["payment_status"] = status
        if status == "finished" and "actually_paid" not in changes:
            payment["actually_paid"] = payment["pay_amount"]
        payment.update(changes)
        payment["updated_at"] = datetime.now(UTC).isoformat().replace("+00:00", "Z")
        return {k: v for k, v in payment.items() if k != "ipn_callback_url"}

    def send_ipn(
        self, payment_id: str, status: str, *, secret: str = IPN_SECRET, **changes: Any
    ) -> requests.Response:
        """POSTs a signed IPN to the payment's ipn_callback_url, as NOWPayments does."""
        body = self.ipn_body(payment_id, status, **changes)
        url = self.payments[str(payment_id)]["ipn_callback_url"]
        headers = {"Content-Type": "application/json", "x-nowpayments-sig": signature(body, secret)}
        self.last = (url, json.dumps(body), headers)
        return self.resend_last()

    def resend_last(self) -> requests.Response:
        """The last IPN again, byte for byte (a replay)."""
        url, data, headers = self.last
        return requests.post(url, data=data, headers=headers, timeout=10)


@contextmanager
def fake_nowpayments() -> Iterator[FakeNowPayments]:
    fake = FakeNowPayments()
    server = make_server("127.0.0.1", 0, fake, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    fake.url = f"http://127.0.0.1:{server.server_port}"
    try:
        yield fake
    finally:
        server.shutdown()
        thread.join()
        server.server_close()
