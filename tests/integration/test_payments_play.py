"""Play-money deposits and withdrawals through the API and the payout outbox: approval
above the threshold, retries with backoff, refusals that return the money, deposit limits,
self-exclusion and who hears of a payment. The ledger verifies after every test."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from streambet.adapters.orm.payments import PayoutIntent
from streambet.adapters.payments.play import PlayProvider
from streambet.adapters.payments.ports import (
    PayoutDeclined,
    PayoutOrder,
    PayoutResult,
    ProviderUnavailable,
)
from streambet.api.ws import _Viewer
from streambet.domain.accounts import Principal, Role
from streambet.domain.errors import PermissionDenied
from streambet.domain.payments import MAX_PAYOUT_ATTEMPTS, PayoutStatus
from streambet.domain.responsible import LimitPeriod
from streambet.services import deposits, responsible, wallet, withdrawals
from streambet.services.payment_policy import Providers
from tests.support.api import make_actor
from tests.support.betting import bet, cat_market, verify_ledger


@pytest.fixture
def app(base_config: dict[str, Any], database_url: str) -> Iterator[Flask]:
    from streambet import create_app

    app = create_app(
        {**base_config, "database_url": database_url, "withdrawal_approval_threshold": 5_000}
    )
    yield app
    try:
        assert verify_ledger(app) == []
    finally:
        app.extensions["streambet"].close()


def journal(app: Flask) -> list[dict[str, Any]]:
    return app.extensions["streambet"].payments.payouts.records()


@pytest.mark.parametrize("database_url", ["sqlite", "postgresql"], indirect=True)
def test_play_deposit_and_withdrawal_through_the_api(app: Flask) -> None:
    client = app.test_client()
    a = make_actor(app)
    w = app.extensions["streambet"]
    made = client.post("/api/me/deposits", json={"amount": 1_250}, headers=a.headers)
    assert made.status_code == 201, made.get_json()
    body = made.get_json()
    assert (body["provider"], body["status"], body["credited"], body["balance"]) == (
        "play",
        "credited",
        1_250,
        1_250,
    )
    listed = client.get("/api/me/deposits", headers=a.headers).get_json()["items"]
    assert [d["id"] for d in listed] == [body["id"]]
    for bad in (0, -5, 1.5, "10"):
        refused = client.post("/api/me/deposits", json={"amount": bad}, headers=a.headers)
        assert refused.status_code == 400
    wrong = client.post(
        "/api/me/deposits", json={"amount": 10, "provider": "stripe"}, headers=a.headers
    )
    assert wrong.status_code == 400 and wrong.get_json()["error"]["details"]["field"] == "provider"

    out = client.post("/api/me/withdrawals", json={"amount": 1_000}, headers=a.headers)
    assert out.status_code == 201, out.get_json()
    assert (out.get_json()["status"], out.get_json()["balance"]) == ("queued", 250)
    too_much = client.post("/api/me/withdrawals", json={"amount": 251}, headers=a.headers)
    assert too_much.status_code == 409
    with w.read_uow() as uow:  # the refused one left no intent behind
        assert uow.session.scalar(select(func.count()).select_from(PayoutIntent)) == 1
    assert withdrawals.send_due(w.uow, w.read_uow, w.payments.payouts) == 1
    paid = client.get(f"/api/me/withdrawals/{out.get_json()['id']}", headers=a.headers)
    assert paid.get_json()["status"] == "paid"
    assert [(j["direction"], j["amount"]) for j in journal(app)] == [
        ("deposit", 1_250),
        ("payout", 1_000),
    ]
    assert withdrawals.send_due(w.uow, w.read_uow, w.payments.payouts) == 0


def test_withdrawals_above_the_threshold_wait_for_an_admin(app: Flask) -> None:
    client = app.test_client()
    w = app.extensions["streambet"]
    a, admin = make_actor(app), make_actor(app, "admin")
    client.post("/api/me/deposits", json={"amount": 20_000}, headers=a.headers)
    big = client.post("/api/me/withdrawals", json={"amount": 6_000}, headers=a.headers).get_json()
    other = client.post("/api/me/withdrawals", json={"amount": 7_000}, headers=a.headers)
    assert big["status"] == other.get_json()["status"] == "awaiting_approval"
    assert withdrawals.send_due(w.uow, w.read_uow, w.payments.payouts) == 0
    queue = client.get("/api/admin/withdrawals", headers=admin.headers).get_json()["items"]
    assert [q["id"] for q in queue] == [big["id"], other.get_json()["id"]]
    assert client.get("/api/admin/withdrawals", headers=a.headers).status_code == 403
    approve = f"/api/admin/withdrawals/{big['id']}/approve"
    assert client.post(approve, json={}, headers=a.headers).status_code == 403
    assert client.post(approve, json={"note": "ok"}, headers=admin.headers).status_code == 200
    assert client.post(approve, json={}, headers=admin.headers).status_code == 409
    rejected = client.post(
        f"/api/admin/withdrawals/{other.get_json()['id']}/reject",
        json={"note": "documents needed"},
        headers=admin.headers,
    ).get_json()
    assert (rejected["status"], rejected["balance"]) == ("rejected", 14_000)
    assert withdrawals.send_due(w.uow, w.read_uow, w.payments.payouts) == 1
    assert wallet.balance(w.read_uow(), a.user_id) == 14_000
    assert [j["amount"] for j in journal(app) if j["direction"] == "payout"] == [6_000]


class Scripted:
    """A payout provider at the edge we cannot reach: answers from a script."""

    name = "play"

    def __init__(self, *answers: PayoutResult | Exception) -> None:
        self.answers = list(answers)
        self.keys: list[str] = []

    def send_payout(self, order: PayoutOrder) -> PayoutResult:
        self.keys.append(order.key)
        answer = self.answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer

    def list_payouts(self, since: datetime, destinations: tuple[str, ...] = ()) -> list:
        return []


def _withdraw(app: Flask, amount: int) -> tuple[int, int]:
    w = app.extensions["streambet"]
    a = make_actor(app)
    play = PlayProvider()
    deposits.start_deposit(w.uow, Providers({"play": play}, play), a.user_id, 1_000)
    made = withdrawals.request_withdrawal(w.uow(), w.payments.policy, "play", a.user_id, amount)
    return a.user_id, made.id


def test_a_declined_payout_returns_the_money(app: Flask) -> None:
    w = app.extensions["streambet"]
    user, payout_id = _withdraw(app, 400)
    provider = Scripted(PayoutDeclined("account closed"))
    assert withdrawals.send_one(w.uow, provider, payout_id) is PayoutStatus.FAILED
    assert wallet.balance(w.read_uow(), user) == 1_000
    assert withdrawals.withdrawal_of(w.read_uow(), user, payout_id).last_error == "account closed"


def test_no_answer_is_retried_with_backoff_and_the_same_key_then_stalls(app: Flask) -> None:
    w = app.extensions["streambet"]
    user, payout_id = _withdraw(app, 400)
    provider = Scripted(*[ProviderUnavailable("timeout")] * MAX_PAYOUT_ATTEMPTS)
    now = datetime.now(UTC)
    for attempt in range(1, MAX_PAYOUT_ATTEMPTS + 1):
        assert withdrawals.send_one(w.uow, provider, payout_id, now) is not None
        with w.read_uow() as uow:
            row = uow.session.get(PayoutIntent, payout_id)
            assert row is not None and row.attempts == attempt
            wait = row.next_attempt_at
        if attempt < MAX_PAYOUT_ATTEMPTS:
            assert wait is not None and wait > now
            assert withdrawals.send_one(w.uow, provider, payout_id, now) is None  # not yet
            now = wait
    assert len(set(provider.keys)) == 1 and len(provider.keys) == MAX_PAYOUT_ATTEMPTS
    stalled = withdrawals.withdrawal_of(w.read_uow(), user, payout_id)
    assert stalled.status == "stalled" and stalled.balance == 600  # nobody knows: still held
    queue = withdrawals.approval_queue(w.read_uow())
    assert [q.id for q in queue] == [payout_id]
    admin = make_actor(app, "admin")
    # The admin finds it unpaid at the provider and returns the money.
    back = withdrawals.decide_approval(w.uow(), payout_id, admin.user_id, False, "not paid")
    assert (back.status, back.balance) == ("rejected", 1_000)


def test_deposit_limits_lower_at_once_raise_after_a_day(app: Flask) -> None:
    w = app.extensions["streambet"]
    a = make_actor(app)
    now = datetime.now(UTC)
    client = app.test_client()
    set_day = client.put("/api/me/limits", json={"day": 5_000}, headers=a.headers)
    assert set_day.status_code == 200
    day = next(x for x in set_day.get_json()["limits"] if x["period"] == "day")
    assert (day["amount"], day["next_amount"]) == (5_000, None)
    ok = client.post("/api/me/deposits", json={"amount": 3_000}, headers=a.headers)
    assert ok.status_code == 201
    over = client.post("/api/me/deposits", json={"amount": 2_001}, headers=a.headers)
    assert over.status_code == 403 and over.get_json()["error"]["code"] == "deposit_limit"
    raised = client.put("/api/me/limits", json={"day": 9_000}, headers=a.headers).get_json()
    day = next(x for x in raised["limits"] if x["period"] == "day")
    assert (day["amount"], day["next_amount"], day["used"]) == (5_000, 9_000, 3_000)
    still = client.post("/api/me/deposits", json={"amount": 2_001}, headers=a.headers)
    assert still.status_code == 403
    later = now + timedelta(hours=25)
    play = PlayProvider()
    providers = Providers({"play": play}, play)
    deposits.start_deposit(w.uow, providers, a.user_id, 9_000, now=later)  # a new window
    with pytest.raises(PermissionDenied):
        deposits.start_deposit(w.uow, providers, a.user_id, 1, now=later)
    responsible.set_limits(w.uow(), a.user_id, {LimitPeriod.WEEK: 100}, now=later)
    settings = responsible.settings_of(w.read_uow(), a.user_id, now=later)
    week = next(x for x in settings.limits if x.period is LimitPeriod.WEEK)
    assert (week.amount, week.used) == (100, 12_000)
    bad = client.put("/api/me/limits", json={"month": -1}, headers=a.headers)
    assert bad.status_code == 400


def test_self_exclusion_stops_wagers_and_deposits_not_withdrawals(app: Flask) -> None:
    client = app.test_client()
    a, op = make_actor(app), make_actor(app, "operator")
    client.post("/api/me/deposits", json={"amount": 2_000}, headers=a.headers)
    m = cat_market(app, op.principal)
    bet(app, a.principal, m.id, m.outcomes[0].id, 100)
    out = client.post("/api/me/self-exclusion", json={"days": 7}, headers=a.headers)
    assert out.status_code == 200 and out.get_json()["excluded_until_ms"] is not None
    until = out.get_json()["excluded_until_ms"]
    shorter = client.post("/api/me/self-exclusion", json={"days": 1}, headers=a.headers)
    assert shorter.get_json()["excluded_until_ms"] == until
    deposit = client.post("/api/me/deposits", json={"amount": 100}, headers=a.headers)
    assert deposit.status_code == 403 and deposit.get_json()["error"]["code"] == "self_excluded"
    wager = client.post(
        f"/api/markets/{m.id}/wagers",
        json={"outcome_id": m.outcomes[0].id, "stake": 100},
        headers=a.headers,
    )
    assert wager.status_code == 403 and wager.get_json()["error"]["code"] == "self_excluded"
    with pytest.raises(PermissionDenied):
        bet(app, a.principal, m.id, m.outcomes[0].id, 100)
    withdrawal = client.post("/api/me/withdrawals", json={"amount": 500}, headers=a.headers)
    assert withdrawal.status_code == 201
    assert (
        client.post("/api/me/self-exclusion", json={"days": 0}, headers=a.headers).status_code
        == 400
    )


def test_payment_news_reaches_its_owner_only(app: Flask) -> None:
    viewer = _Viewer(app.extensions["streambet"])
    news = {"user_id": 7, "kind": "deposit", "id": 1, "status": "credited"}
    assert not viewer.may_see("payment.status", news)
    viewer.principal = Principal(7, "a@x.test", "a", Role.BETTOR)
    assert viewer.may_see("payment.status", news)
    viewer.principal = Principal(8, "b@x.test", "b", Role.BETTOR)
    assert not viewer.may_see("payment.status", news)
    viewer.principal = Principal(1, "admin@x.test", "admin", Role.ADMIN)
    assert not viewer.may_see("payment.status", news)
    assert viewer.may_see("analysis.progress", {"user_id": 7})
