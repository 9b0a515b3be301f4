"""NOWPayments deposits against a local fake of its API (tests/support/nowpayments_fake.py)
that checks every request against the documentation and sends IPNs signed as documented:
each status handled, the partially_paid policy, replays, out-of-order and forged IPNs,
wrong currency or amount, reconciliation. The ledger verifies after every test."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import requests
from flask import Flask

from streambet import create_app
from streambet.services.reconcile import reconcile
from tests.support.api import Actor, make_actor
from tests.support.betting import verify_ledger
from tests.support.nowpayments_fake import (
    API_KEY,
    IPN_SECRET,
    FakeNowPayments,
    fake_nowpayments,
    signature,
)
from tests.support.threaded_server import serving

IPN = "/api/payments/nowpayments/ipn"


@pytest.fixture
def fake() -> Iterator[FakeNowPayments]:
    with fake_nowpayments() as server:
        yield server
    assert server.refused == []  # every request we made was one the documentation allows


@pytest.fixture
def app(base_config: dict[str, Any], database_url: str, fake: FakeNowPayments) -> Iterator[Flask]:
    app = create_app(
        {
            **base_config,
            "database_url": database_url,
            "payments": "nowpayments,play",
            "nowpayments_api_key": API_KEY,
            "nowpayments_ipn_secret": IPN_SECRET,
            "nowpayments_api_base": fake.url,
        }
    )
    yield app
    try:
        assert verify_ledger(app) == []
    finally:
        app.extensions["streambet"].close()


@pytest.fixture
def live(app: Flask) -> Iterator[str]:
    with serving(app) as base:
        yield base


def start(base: str, who: Actor, amount: int, pay_currency: str = "btc") -> dict[str, Any]:
    made = requests.post(
        f"{base}/api/me/deposits",
        json={"amount": amount, "pay_currency": pay_currency},
        headers=who.headers,
        timeout=30,
    )
    assert made.status_code == 201, made.text
    return dict(made.json())


def state(base: str, who: Actor, deposit_id: int) -> dict[str, Any]:
    got = requests.get(f"{base}/api/me/deposits/{deposit_id}", headers=who.headers, timeout=10)
    return dict(got.json())


@pytest.mark.parametrize("database_url", ["sqlite", "postgresql"], indirect=True)
def test_each_status_moves_the_deposit_and_finished_credits_it_once(
    app: Flask, live: str, fake: FakeNowPayments
) -> None:
    a = make_actor(app)
    deposit = start(live, a, 5_000)
    sent = fake.created[0]
    assert (sent["price_amount"], sent["price_currency"], sent["pay_currency"]) == (
        50.0,
        "eur",
        "btc",
    )
    assert sent["order_id"] == f"streambet-d{deposit['id']}"
    assert sent["ipn_callback_url"] == f"{live}{IPN}"
    payment = deposit["instructions"]["payment_id"]
    assert deposit["instructions"]["pay_address"].startswith("bc1q")
    assert deposit["status"] == "created"
    steps = [("waiting", "created"), ("confirming", "pending"), ("confirmed", "pending")]
    steps += [("sending", "pending"), ("finished", "credited")]
    for status, ours in steps:
        response = fake.send_ipn(payment, status)
        assert response.status_code == 200, (status, response.text)
        assert state(live, a, deposit["id"])["status"] == ours
    done = state(live, a, deposit["id"])
    assert (done["credited"], done["balance"]) == (5_000, 5_000)
    again = fake.send_ipn(payment, "finished")  # NOWPayments' repeat: the same news, later
    assert again.status_code == 200 and again.json()["decision"] == "same"
    replay = fake.resend_last()
    assert replay.status_code == 409 and replay.json()["error"]["code"] == "already_processed"
    late = fake.send_ipn(payment, "confirming", actually_paid=0.0001)
    assert late.status_code == 409 and late.json()["error"]["code"] == "out_of_order"
    refunded = fake.send_ipn(payment, "refunded")
    assert refunded.status_code == 202
    after = state(live, a, deposit["id"])
    assert (after["credited"], after["balance"]) == (5_000, 5_000)
    assert "refunded a credited deposit" in after["review"]


def test_partially_paid_credits_what_arrived_and_flags_it(
    app: Flask, live: str, fake: FakeNowPayments
) -> None:
    a = make_actor(app)
    deposit = start(live, a, 10_000)
    payment = deposit["instructions"]["payment_id"]
    asked = fake.payments[payment]["pay_amount"]  # 0.002 btc for 100.00 eur
    part = fake.send_ipn(payment, "partially_paid", actually_paid=asked / 4)
    assert part.status_code == 200
    now = state(live, a, deposit["id"])
    assert (now["status"], now["credited"], now["balance"]) == ("partial", 2_500, 2_500)
    assert "partially paid: 2500 of 10000" in now["review"]
    more = fake.send_ipn(payment, "partially_paid", actually_paid=asked / 2)
    assert more.status_code == 200 and state(live, a, deposit["id"])["credited"] == 5_000
    rest = fake.send_ipn(payment, "finished")
    assert rest.status_code == 200
    end = state(live, a, deposit["id"])
    assert (end["status"], end["credited"], end["balance"], end["review"]) == (
        "credited",
        10_000,
        10_000,
        None,
    )


@pytest.mark.parametrize("final", ["failed", "expired"])
def test_money_after_a_failure_is_recorded_not_credited(
    app: Flask, live: str, fake: FakeNowPayments, final: str
) -> None:
    a = make_actor(app)
    deposit = start(live, a, 2_000)
    payment = deposit["instructions"]["payment_id"]
    assert fake.send_ipn(payment, final).status_code == 200
    late = fake.send_ipn(payment, "finished")
    assert late.status_code == 409 and late.json()["error"]["code"] == "deposit_closed"
    end = state(live, a, deposit["id"])
    assert (end["status"], end["credited"], end["balance"]) == ("failed", 0, 0)


def test_forged_and_inconsistent_ipns_are_refused_and_logged(
    app: Flask, live: str, fake: FakeNowPayments, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    a = make_actor(app)
    deposit = start(live, a, 3_000)
    payment = deposit["instructions"]["payment_id"]
    body = fake.ipn_body(payment, "finished")
    wire = json.dumps(body)

    def post(data: str, sig: str | None) -> requests.Response:
        headers = {"Content-Type": "application/json"}
        if sig is not None:
            headers["x-nowpayments-sig"] = sig
        return requests.post(live + IPN, data=data, headers=headers, timeout=10)

    unsigned = post(wire, None)
    wrong_key = post(wire, signature(body, "not-the-secret"))
    tampered = post(wire.replace('"finished"', '"finished", "x": 1'), signature(body))
    garbage = post("not json", signature(body))
    for response in (unsigned, wrong_key, tampered, garbage):
        assert response.status_code == 400
        assert response.json()["error"]["code"] == "bad_signature"
    assert sum("payment webhook refused" in r.getMessage() for r in caplog.records) == 4
    nested = {**body, "fee": {"serviceFee": 0.1, "currency": "btc", "depositFee": 0}}
    wrong_currency = {**nested, "price_currency": "usd"}
    wrong_amount = {**nested, "price_amount": 30.01}
    for forged in (wrong_currency, wrong_amount):
        response = post(json.dumps(forged), signature(forged))
        assert response.status_code == 400
        assert response.json()["error"]["code"] == "amount_mismatch"
    stranger = {**nested, "order_id": "someone-else", "payment_id": 1}
    unknown = post(json.dumps(stranger), signature(stranger))
    assert unknown.status_code == 202 and unknown.json()["decision"] == "unknown"
    mid = state(live, a, deposit["id"])
    assert (mid["credited"], mid["balance"]) == (0, 0)
    good = post(json.dumps(nested, indent=1), signature(nested))  # nested, spaced: verifies
    assert good.status_code == 200
    assert state(live, a, deposit["id"])["credited"] == 3_000


def test_a_refused_payment_is_a_409_and_leaves_a_failed_row(
    app: Flask, live: str, fake: FakeNowPayments
) -> None:
    a = make_actor(app)
    refused = requests.post(
        f"{live}/api/me/deposits",
        json={"amount": 1_000, "pay_currency": "doge-on-the-moon"},
        headers=a.headers,
        timeout=30,
    )
    assert refused.status_code == 409
    assert refused.json()["error"]["code"] == "deposit_refused"
    assert "was not found" in refused.json()["error"]["message"]
    listed = requests.get(f"{live}/api/me/deposits", headers=a.headers, timeout=10).json()
    assert [d["status"] for d in listed["items"]] == ["failed"]


def test_reconciliation_finds_a_payment_whose_ipn_never_came(
    app: Flask, live: str, fake: FakeNowPayments, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    w = app.extensions["streambet"]
    a = make_actor(app)
    deposit = start(live, a, 4_000)
    payment = deposit["instructions"]["payment_id"]
    since = datetime.now(UTC) - timedelta(days=1)
    assert reconcile(w.read_uow(), w.payments, since) == []
    body = fake.ipn_body(payment, "finished")  # finished at NOWPayments; IPN lost
    found = [str(m) for m in reconcile(w.read_uow(), w.payments, since)]
    assert found == [
        f"nowpayments deposit deposit {deposit['id']} / {payment}: succeeded at the provider"
        f" with 4000 arrived, credited 0 here (created)"
    ]
    response = requests.post(
        live + IPN,
        data=json.dumps(body),
        headers={"Content-Type": "application/json", "x-nowpayments-sig": signature(body)},
        timeout=10,
    )
    assert response.status_code == 200
    assert reconcile(w.read_uow(), w.payments, since) == []
    text = caplog.text + "".join(repr(r.__dict__) for r in caplog.records)
    assert "payment event" in text
    assert API_KEY not in text and IPN_SECRET not in text
