"""Stripe deposits and payouts against localstripe (a local fake of Stripe's API, started
by these tests): PaymentIntents, PaymentMethods, Payouts and the webhooks it signs and
delivers itself are localstripe's; Transfers (Connect, which localstripe lacks) are a
shim whose shape is checked against the SDK's own classes. Webhooks the tests make are
signed with the SDK's own helper (`stripe.WebhookSignature.generate_signature_header`) and
verified by the app with `stripe.Webhook.construct_event`. Bad input of every kind is
refused with a 4xx in the envelope and credits nothing; the ledger verifies after every
test."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterator
from typing import Any

import pytest
import requests
import stripe
from flask import Flask

from streambet import create_app
from streambet.services import withdrawals
from streambet.services.reconcile import reconcile
from tests.support.api import make_actor
from tests.support.betting import fund, verify_ledger
from tests.support.localstripe_server import SECRET_KEY, LocalStripe, localstripe
from tests.support.threaded_server import serving

WEBHOOK_SECRET = "whsec_streambet_test_0123456789"
PUBLISHABLE_KEY = "pk_test_streambet"
HOOK = "/api/payments/stripe/webhook"


@pytest.fixture(scope="module")
def stripe_server() -> Iterator[LocalStripe]:
    with localstripe() as server:
        yield server


@pytest.fixture
def app(
    base_config: dict[str, Any], database_url: str, stripe_server: LocalStripe
) -> Iterator[Flask]:
    stripe_server.flush()
    app = create_app(
        {
            **base_config,
            "database_url": database_url,
            "payments": "stripe,play",
            "stripe_secret_key": SECRET_KEY,
            "stripe_webhook_secret": WEBHOOK_SECRET,
            "stripe_publishable_key": PUBLISHABLE_KEY,
            "stripe_api_base": stripe_server.url,
        }
    )
    yield app
    try:
        assert verify_ledger(app) == []
    finally:
        app.extensions["streambet"].close()


def sdk(server: LocalStripe) -> stripe.StripeClient:
    return stripe.StripeClient(SECRET_KEY, base_addresses={"api": server.url})


def pay(server: LocalStripe, intent_id: str) -> None:
    """What the payer's browser does with Stripe.js: attach a card and confirm."""
    client = sdk(server)
    card = client.v1.payment_methods.create(
        params={
            "type": "card",
            "card": {"number": "4242424242424242", "exp_month": 12, "exp_year": 2034, "cvc": "123"},
        }
    )
    client.v1.payment_intents.update(intent_id, params={"payment_method": card.id})
    client.v1.payment_intents.confirm(intent_id)


def post_event(
    app: Flask, event: dict[str, Any], secret: str = WEBHOOK_SECRET, timestamp: int | None = None
) -> Any:
    body = json.dumps(event)
    header = stripe.WebhookSignature.generate_signature_header(body, secret, timestamp)
    return app.test_client().post(
        HOOK, data=body, headers={"Stripe-Signature": header, "Content-Type": "application/json"}
    )


def event_of(server: LocalStripe, kind: str, object_id: str) -> dict[str, Any]:
    """The event localstripe made for `object_id`, in the SDK's shape."""
    for event in sdk(server).v1.events.list(params={"type": kind}).auto_paging_iter():
        if event.data.object["id"] == object_id:
            return event.to_dict()
    raise AssertionError(f"no {kind} event for {object_id}")


def variant(event: dict[str, Any], **changes: Any) -> dict[str, Any]:
    """Another event (new id) about the same object, with its object changed."""
    copy = json.loads(json.dumps(event))
    copy["id"] = f"{event['id']}x{len(changes)}{abs(hash(json.dumps(changes))) % 10**6}"
    kind = changes.pop("type", None)
    if kind:
        copy["type"] = kind
    copy["data"]["object"].update(changes)
    return copy


def wait_for(check: Any, seconds: float = 20) -> Any:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.2)
    raise AssertionError("timed out")


@pytest.mark.parametrize("database_url", ["sqlite", "postgresql"], indirect=True)
def test_the_wallet_gets_stripes_card_form_and_nothing_else_does(app: Flask) -> None:
    a = make_actor(app)
    client = app.test_client()
    providers = client.get("/api/payments/providers", headers=a.headers).get_json()
    assert providers["stripe_publishable_key"] == PUBLISHABLE_KEY
    page = client.get("/")
    csp = page.headers["Content-Security-Policy"]
    page.close()
    assert "script-src 'self' https://js.stripe.com;" in csp
    assert "frame-src https://js.stripe.com https://hooks.stripe.com;" in csp
    assert "connect-src 'self' https://api.stripe.com;" in csp
    assert "'unsafe-inline'" not in csp and "frame-ancestors 'none'" in csp


def test_stripe_deposits_need_the_publishable_key(
    base_config: dict[str, Any], database_url: str
) -> None:
    with pytest.raises(ValueError, match="STREAMBET_STRIPE_PUBLISHABLE_KEY"):
        create_app(
            {
                **base_config,
                "database_url": database_url,
                "payments": "stripe,play",
                "stripe_secret_key": SECRET_KEY,
                "stripe_webhook_secret": WEBHOOK_SECRET,
            }
        )


def test_a_deposit_is_credited_once_from_the_delivered_webhook(
    app: Flask, stripe_server: LocalStripe
) -> None:
    a = make_actor(app)
    with serving(app) as base:
        stripe_server.register_webhook(base + HOOK, WEBHOOK_SECRET)
        made = requests.post(
            f"{base}/api/me/deposits", json={"amount": 2_500}, headers=a.headers, timeout=30
        )
        assert made.status_code == 201, made.text
        deposit = made.json()
        assert (deposit["provider"], deposit["status"], deposit["currency"]) == (
            "stripe",
            "created",
            "eur",
        )
        intent = deposit["instructions"]["payment_intent"]
        assert deposit["instructions"]["client_secret"].startswith(intent)
        pi = sdk(stripe_server).v1.payment_intents.retrieve(intent)
        assert (pi.amount, pi.currency, pi.metadata["deposit_id"]) == (
            2_500,
            "eur",
            str(deposit["id"]),
        )
        pay(stripe_server, intent)

        def credited() -> Any:
            got = requests.get(
                f"{base}/api/me/deposits/{deposit['id']}", headers=a.headers, timeout=10
            ).json()
            return got if got["status"] == "credited" else None

        done = wait_for(credited)
    assert (done["credited"], done["balance"]) == (2_500, 2_500)
    succeeded = event_of(stripe_server, "payment_intent.succeeded", intent)
    replay = post_event(app, succeeded)
    assert replay.status_code == 409
    assert replay.get_json()["error"]["code"] == "already_processed"
    late = post_event(app, variant(succeeded, type="payment_intent.payment_failed"))
    assert late.status_code == 409 and late.get_json()["error"]["code"] == "out_of_order"
    client = app.test_client()
    after = client.get(f"/api/me/deposits/{deposit['id']}", headers=a.headers).get_json()
    assert (after["status"], after["credited"], after["balance"]) == ("credited", 2_500, 2_500)
    charge = {"id": "ch_1", "object": "charge", "amount": 2_500, "currency": "eur"}
    refund = {**succeeded, "id": "evt_refund_1", "type": "charge.refunded"}
    refund["data"] = {"object": {**charge, "payment_intent": intent, "amount_refunded": 2_500}}
    refunded = post_event(app, refund)
    assert refunded.status_code == 202 and refunded.get_json()["decision"] == "review"
    flagged = client.get(f"/api/me/deposits/{deposit['id']}", headers=a.headers).get_json()
    assert (flagged["credited"], flagged["balance"]) == (2_500, 2_500)
    assert "refunded a credited deposit" in flagged["review"]


def test_bad_webhooks_are_refused_and_credit_nothing(
    app: Flask, stripe_server: LocalStripe, caplog: pytest.LogCaptureFixture
) -> None:
    a = make_actor(app)
    client = app.test_client()
    deposit = client.post("/api/me/deposits", json={"amount": 1_000}, headers=a.headers).get_json()
    intent = deposit["instructions"]["payment_intent"]
    obj = sdk(stripe_server).v1.payment_intents.retrieve(intent).to_dict()
    good = {
        "id": "evt_streambet_test_1",
        "object": "event",
        "api_version": "2024-06-20",
        "created": int(time.time()),
        "livemode": False,
        "type": "payment_intent.succeeded",
        "data": {"object": {**obj, "status": "succeeded", "amount_received": 1_000}},
    }
    body = json.dumps(good)
    caplog.set_level(logging.WARNING)
    unsigned = client.post(HOOK, data=body, headers={"Content-Type": "application/json"})
    badly = post_event(app, good, secret="whsec_wrong")
    stale = post_event(app, good, timestamp=int(time.time()) - 400)
    forged = client.post(
        HOOK,
        data=body.replace("1000", "9000"),
        headers={
            "Stripe-Signature": stripe.WebhookSignature.generate_signature_header(
                body, WEBHOOK_SECRET
            )
        },
    )
    for response in (unsigned, badly, stale, forged):
        assert response.status_code == 400
        assert response.get_json()["error"]["code"] == "bad_signature"
    assert sum("payment webhook refused" in r.getMessage() for r in caplog.records) == 4
    wrong_amount = post_event(app, variant(good, amount=1_001, amount_received=1_001))
    wrong_currency = post_event(app, variant(good, currency="usd"))
    for response in (wrong_amount, wrong_currency):
        assert response.status_code == 400
        assert response.get_json()["error"]["code"] == "amount_mismatch"
    now = client.get(f"/api/me/deposits/{deposit['id']}", headers=a.headers).get_json()
    assert (now["status"], now["credited"], now["balance"]) == ("created", 0, 0)
    assert "event for 1001 eur" in now["review"]
    unknown = post_event(app, variant(good, metadata={"deposit_id": "999999"}, id="pi_not_ours"))
    assert unknown.status_code == 202 and unknown.get_json()["decision"] == "unknown"
    ignored = post_event(app, variant(good, type="customer.created"))
    assert ignored.status_code == 200 and ignored.get_json()["decision"] == "ignored"

    failed = post_event(app, variant(good, type="payment_intent.payment_failed"))
    assert failed.status_code == 200
    closed = post_event(app, good)
    assert closed.status_code == 409 and closed.get_json()["error"]["code"] == "deposit_closed"
    end = client.get(f"/api/me/deposits/{deposit['id']}", headers=a.headers).get_json()
    assert (end["status"], end["credited"], end["balance"]) == ("failed", 0, 0)
    assert any("not applied" in r.getMessage() for r in caplog.records)


def test_a_withdrawal_is_paid_through_connect_and_confirmed_by_webhook(
    app: Flask, stripe_server: LocalStripe
) -> None:
    w = app.extensions["streambet"]
    a = make_actor(app)
    fund(app, a.user_id, 10_000)
    client = app.test_client()
    wrong = client.post("/api/me/withdrawals", json={"amount": 10}, headers=a.headers)
    assert wrong.status_code == 400  # Stripe needs a connected account
    made = client.post(
        "/api/me/withdrawals",
        json={"amount": 3_000, "destination": "acct_1StreamBetTest"},
        headers=a.headers,
    ).get_json()
    assert (made["status"], made["balance"]) == ("queued", 7_000)
    assert withdrawals.send_due(w.uow, w.read_uow, w.payments.payouts) == 1
    sent = client.get(f"/api/me/withdrawals/{made['id']}", headers=a.headers).get_json()
    assert sent["status"] == "sent" and sent["provider_ref"].startswith("po_")
    payout = sdk(stripe_server).v1.payouts.retrieve(sent["provider_ref"])
    assert (payout.amount, payout.currency, payout.metadata["payout_id"]) == (
        3_000,
        "eur",
        str(made["id"]),
    )
    sdk(stripe_server).v1.payouts.update(payout.id, params={"status": "paid"})  # the bank paid
    event = {
        "id": f"evt_paid_{made['id']}",
        "object": "event",
        "api_version": "2024-06-20",
        "account": "acct_1StreamBetTest",
        "created": int(time.time()),
        "livemode": False,
        "type": "payout.paid",
        "data": {"object": {**payout.to_dict(), "status": "paid"}},
    }
    assert post_event(app, event).status_code == 200
    paid = client.get(f"/api/me/withdrawals/{made['id']}", headers=a.headers).get_json()
    assert (paid["status"], paid["balance"]) == ("paid", 7_000)
    failed_late = post_event(app, variant(event, type="payout.failed", status="failed"))
    assert failed_late.status_code == 409

    second = client.post(
        "/api/me/withdrawals",
        json={"amount": 1_000, "destination": "acct_1StreamBetTest"},
        headers=a.headers,
    ).get_json()
    withdrawals.send_due(w.uow, w.read_uow, w.payments.payouts)
    ref = client.get(f"/api/me/withdrawals/{second['id']}", headers=a.headers).get_json()
    obj = (
        sdk(stripe_server)
        .v1.payouts.update(ref["provider_ref"], params={"status": "failed"})
        .to_dict()
    )
    failure = {
        **event,
        "id": f"evt_failed_{second['id']}",
        "type": "payout.failed",
        "data": {"object": {**obj, "status": "failed", "failure_message": "account closed"}},
    }
    assert post_event(app, failure).status_code == 200
    back = client.get(f"/api/me/withdrawals/{second['id']}", headers=a.headers).get_json()
    assert (back["status"], back["balance"], back["last_error"]) == (
        "failed",
        7_000,
        "account closed",
    )
    assert reconcile(w.read_uow(), w.payments, _since()) == []


def test_the_transfer_shim_answers_in_the_sdks_own_shape(stripe_server: LocalStripe) -> None:
    client = sdk(stripe_server)
    transfer = client.v1.transfers.create(
        params={"amount": 5, "currency": "eur", "destination": "acct_1"}
    )
    reversal = client.v1.transfers.reversals.create(transfer.id)
    for obj, cls in ((transfer, stripe.Transfer), (reversal, stripe.TransferReversal)):
        assert isinstance(obj, cls)
        declared = set(cls.__annotations__) - {"OBJECT_NAME"}
        assert set(obj.to_dict()) == declared
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.transfers.create(params={"amount": 5, "currency": "eur", "destination": "x"})


def _since() -> Any:
    from datetime import UTC, datetime, timedelta

    return datetime.now(UTC) - timedelta(hours=1)


def test_reconciliation_reports_what_the_ledger_missed(
    app: Flask, stripe_server: LocalStripe, monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    from streambet.cli import main

    w = app.extensions["streambet"]
    a = make_actor(app)
    client = app.test_client()
    stripe_server.register_webhook("http://127.0.0.1:9/nowhere", WEBHOOK_SECRET)
    deposit = client.post("/api/me/deposits", json={"amount": 700}, headers=a.headers).get_json()
    pay(stripe_server, deposit["instructions"]["payment_intent"])  # its webhook is lost
    stray = sdk(stripe_server).v1.payment_intents.create(
        params={"amount": 300, "currency": "eur", "metadata": {"deposit_id": "0"}}
    )
    pay(stripe_server, stray.id)
    found = [str(m) for m in reconcile(w.read_uow(), w.payments, _since())]
    ours = [m for m in found if f"deposit {deposit['id']} /" in m]
    assert ours and "arrived, credited 0 here" in ours[0]
    assert any(stray.id in m and "no deposit here" in m for m in found)
    settings = w.settings
    for name, value in {
        "DATABASE_URL": settings.resolved_database_url,
        "DATA_DIR": str(settings.data_dir),
        "PAYMENTS": "stripe,play",
        "STRIPE_SECRET_KEY": SECRET_KEY,
        "STRIPE_WEBHOOK_SECRET": WEBHOOK_SECRET,
        "STRIPE_PUBLISHABLE_KEY": PUBLISHABLE_KEY,
        "STRIPE_API_BASE": stripe_server.url,
    }.items():
        monkeypatch.setenv(f"STREAMBET_{name}", value)
    assert main(["payments", "reconcile"]) == 1
    printed = capsys.readouterr().out
    assert f"deposit {deposit['id']} /" in printed and "mismatch(es)" in printed
    event = event_of(
        stripe_server, "payment_intent.succeeded", deposit["instructions"]["payment_intent"]
    )
    assert post_event(app, event).status_code == 200  # the lost webhook, delivered late
    left = [str(m) for m in reconcile(w.read_uow(), w.payments, _since())]
    assert not [m for m in left if f"deposit {deposit['id']} /" in m]


def test_no_credential_reaches_the_logs(
    app: Flask, stripe_server: LocalStripe, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    a = make_actor(app)
    w = app.extensions["streambet"]
    with serving(app) as base:
        stripe_server.register_webhook(base + HOOK, WEBHOOK_SECRET)
        made = requests.post(
            f"{base}/api/me/deposits", json={"amount": 900}, headers=a.headers, timeout=30
        ).json()
        pay(stripe_server, made["instructions"]["payment_intent"])
        wait_for(
            lambda: (
                requests.get(
                    f"{base}/api/me/deposits/{made['id']}", headers=a.headers, timeout=10
                ).json()["status"]
                == "credited"
            )
        )
        requests.post(
            f"{base}/api/me/withdrawals",
            json={"amount": 500, "destination": "acct_1Logs"},
            headers=a.headers,
            timeout=30,
        )
        withdrawals.send_due(w.uow, w.read_uow, w.payments.payouts)
        post_event(app, {"id": "evt_x", "type": "x"}, secret="whsec_wrong")
        reconcile(w.read_uow(), w.payments, _since())
    assert caplog.records
    text = caplog.text + "".join(repr(r.__dict__) for r in caplog.records)
    for secret in (SECRET_KEY, WEBHOOK_SECRET):
        assert secret not in text
