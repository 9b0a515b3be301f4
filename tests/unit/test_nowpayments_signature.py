"""NOWPayments IPN signatures both ways: our signer against vectors made by Node's crypto
over JSON.stringify of the recursively key-sorted body (the documentation's own method),
and our verifier accepting those and refusing anything altered, including inside a nested
object."""

from __future__ import annotations

import json

import pytest

from streambet.adapters.payments.nowpayments import (
    NowPaymentsConfig,
    NowPaymentsProvider,
    canonical_json,
    sign,
)
from streambet.adapters.payments.ports import BadSignature

SECRET = "test-ipn-secret"
# The IPN example from NOWPayments' API documentation.
FLAT = {
    "payment_id": 5077125051,
    "payment_status": "waiting",
    "pay_address": "0xd1cDE08A07cD25adEbEd35c3867a59228C09B606",
    "price_amount": 170,
    "price_currency": "usd",
    "pay_amount": 155.38559757,
    "actually_paid": 0,
    "pay_currency": "mana",
    "order_id": "2",
    "order_description": "Apple Macbook Pro 2019 x 1",
    "purchase_id": "6084744717",
    "created_at": "2021-04-12T14:22:54.942Z",
    "updated_at": "2021-04-12T14:23:06.244Z",
    "outcome_amount": 1131.7812095,
    "outcome_currency": "trx",
}
NESTED = {
    "payment_id": 42,
    "payment_status": "finished",
    "price_amount": 12.5,
    "price_currency": "eur",
    "order_id": "streambet-d7",
    "fee": {"depositFee": 0.5, "currency": "btc", "serviceFee": 0.25},
    "actually_paid": 0.000321,
    "pay_amount": 0.000321,
    "pay_currency": "btc",
}
# node -e: crypto.createHmac('sha512', secret).update(JSON.stringify(sortDeep(body)))
VECTORS = {
    "flat": "ffd44df6ba1bb2ad92f6bd79cdbbfb3d8ee7e73197ec6c0ef065293fa254f2aa"
    "08bf459797d2ffa5d41f364ab4a8180fc37afc911450598ca611219f44cb54ad",
    "nested": "7d47f9292b1faa12eaba8ce7ae9a73c61bb83a4416c1ae859f0636b679391304"
    "ba1fc1e0a0f34e6de9938c202b654a30de0a27b66f29b02a9a0950f3ca7f9feb",
}
BODIES = {"flat": FLAT, "nested": NESTED}
PROVIDER = NowPaymentsProvider(NowPaymentsConfig("key", SECRET, "http://127.0.0.1:9"))


@pytest.mark.parametrize("name", ["flat", "nested"])
def test_our_signature_matches_the_reference(name: str) -> None:
    assert sign(BODIES[name], SECRET) == VECTORS[name]


@pytest.mark.parametrize("name", ["flat", "nested"])
def test_a_reference_signature_verifies_whatever_the_key_order_on_the_wire(name: str) -> None:
    body = BODIES[name]
    shuffled = dict(reversed(list(body.items())))
    if "fee" in shuffled:
        shuffled["fee"] = dict(reversed(list(shuffled["fee"].items())))
    for wire in (json.dumps(body), json.dumps(shuffled, indent=2)):
        event = PROVIDER.verify_event(wire.encode(), {"x-nowpayments-sig": VECTORS[name]})
        assert event.provider_ref == str(body["payment_id"])


def test_nested_objects_are_sorted_too() -> None:
    assert canonical_json(NESTED).index('"currency":"btc","depositFee"') > 0


@pytest.mark.parametrize(
    "change",
    [
        {"price_amount": 12.51},
        {"fee": {"depositFee": 0.5, "currency": "btc", "serviceFee": 0.26}},
        {"extra": 1},
    ],
)
def test_any_change_breaks_the_signature(change: dict) -> None:
    body = {**NESTED, **change}
    with pytest.raises(BadSignature):
        PROVIDER.verify_event(json.dumps(body).encode(), {"x-nowpayments-sig": VECTORS["nested"]})


def test_unsigned_and_wrongly_keyed_bodies_are_refused() -> None:
    wire = json.dumps(NESTED).encode()
    with pytest.raises(BadSignature):
        PROVIDER.verify_event(wire, {})
    with pytest.raises(BadSignature):
        PROVIDER.verify_event(wire, {"x-nowpayments-sig": sign(NESTED, "other-secret")})
    with pytest.raises(BadSignature):
        PROVIDER.verify_event(b"not json", {"x-nowpayments-sig": "00"})
