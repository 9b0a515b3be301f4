"""A market's whole life through the HTTP API, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from streambet import create_app
from tests.support import databases
from tests.support.api import make_actor
from tests.support.betting import fund, verify_ledger


@pytest.fixture(params=["sqlite", "postgresql"])
def bet_app(
    request: pytest.FixtureRequest, base_config: dict[str, Any], tmp_path: Path
) -> Iterator[Flask]:
    """Like `any_db_app`, with a dispute window of zero so payouts are due at once."""
    config = {**base_config, "dispute_window_seconds": 0}
    if request.param == "postgresql":
        if not databases.pg_admin_url():
            pytest.skip(f"PostgreSQL variant: set {databases.PG_ENV} to run it")
        ctx = databases.postgres_database()
    else:
        ctx = databases.sqlite_database(tmp_path)
    with ctx as url:
        app = create_app({**config, "database_url": url})
        try:
            yield app
        finally:
            app.extensions["streambet"].close()


def _market(client: Any, operator: Any, **extra: Any) -> dict[str, Any]:
    body = {"question": "Will a cat appear?", "criteria": {"label": "Cat"}, "takeout_bp": 1000}
    r = client.post("/api/markets", json={**body, **extra}, headers=operator.headers)
    assert r.status_code == 201, r.get_json()
    return r.get_json()


def test_market_life_pays_winners_and_house_exactly(bet_app: Flask) -> None:
    client = bet_app.test_client()
    op = make_actor(bet_app, "operator")
    a, b, c = (make_actor(bet_app) for _ in range(3))
    for bettor in (a, b, c):
        fund(bet_app, bettor.user_id, 1_000)
    m = _market(client, op)
    yes, no = (o["id"] for o in m["outcomes"])
    assert [o["title"] for o in m["outcomes"]] == ["YES", "NO"]
    assert m["outcomes"][0]["criteria"]["label"] == "Cat"
    for bettor, outcome, stake in ((a, yes, 300), (b, yes, 100), (c, no, 601)):
        r = client.post(
            f"/api/markets/{m['id']}/wagers",
            json={"outcome_id": outcome, "stake": stake},
            headers=bettor.headers,
        )
        assert r.status_code == 201, r.get_json()
    got = client.get(f"/api/markets/{m['id']}", headers=a.headers).get_json()
    assert got["pool"] == 1001
    # net 1001 - 100 (10 % rounded down) = 901; YES odds 901/400
    assert got["outcomes"][0]["odds"] == 2.25

    r = client.post(
        "/api/resolve",
        json={
            "bet_id": m["id"],
            "labels": [{"label": "Cat", "confidence": 93.5, "timestamps": [2.5]}],
        },
        headers=op.headers,
    )
    assert r.status_code == 200, r.get_json()
    assert r.get_json() == {
        "status": "resolved",
        "outcome": "YES",
        "confidence": 93.5,
        "payout_triggered": True,
        "detected_at": [2.5],
        "market_status": "resolved",
        "reason": "criteria met",
    }
    # dispute window 0 here: /api/resolve paid out at once
    balances = [client.get("/api/me", headers=x.headers).get_json()["balance"] for x in (a, b, c)]
    # a: 700 + 901*300//400 = 700 + 675; b: 900 + 225; c: 399; breakage 901-900 = 1
    assert balances == [1375, 1125, 399]
    final = client.get(f"/api/markets/{m['id']}", headers=a.headers).get_json()
    assert final["paid_at_ms"] is not None and final["status"] == "resolved"
    ev = final["settlement"]["evidence"]["outcomes"][0]["detections"][0]
    assert ev["detected"] == "Cat" and ev["timestamp_ms"] == 2500
    mine = client.get("/api/me/wagers", headers=a.headers).get_json()["items"]
    assert [(w["stake"], w["payout"]) for w in mine] == [(300, 675)]
    assert verify_ledger(bet_app) == []
    bets = client.get("/api/bets").get_json()
    assert bets == [
        {
            "id": m["id"],
            "event": "Will a cat appear?",
            "odds": {"yes": 2.25, "no": 1.5},
            "pool": 1001,
            "status": "resolved",
        }
    ]


def test_cancel_refunds_every_stake(bet_app: Flask) -> None:
    client = bet_app.test_client()
    op = make_actor(bet_app, "operator")
    a = make_actor(bet_app)
    fund(bet_app, a.user_id, 500)
    m = _market(client, op)
    client.post(
        f"/api/markets/{m['id']}/wagers",
        json={"outcome_id": m["outcomes"][1]["id"], "stake": 321},
        headers=a.headers,
    )
    assert client.get("/api/me", headers=a.headers).get_json()["balance"] == 179
    r = client.post(
        f"/api/markets/{m['id']}/cancel", json={"reason": "feed died"}, headers=op.headers
    )
    assert r.status_code == 200 and r.get_json()["status"] == "canceled"
    assert client.get("/api/me", headers=a.headers).get_json()["balance"] == 500
    again = client.post(f"/api/markets/{m['id']}/cancel", headers=op.headers)
    assert again.status_code == 409
    late = client.post(
        f"/api/markets/{m['id']}/wagers",
        json={"outcome_id": m["outcomes"][1]["id"], "stake": 1},
        headers=a.headers,
    )
    assert late.status_code == 409 and late.get_json()["error"]["code"] == "market_not_open"
    assert verify_ledger(bet_app) == []


def test_nobody_backed_the_winner_refunds(bet_app: Flask) -> None:
    client = bet_app.test_client()
    op = make_actor(bet_app, "operator")
    admin = make_actor(bet_app, "admin")
    a = make_actor(bet_app)
    fund(bet_app, a.user_id, 100)
    m = _market(client, op)
    yes, no = (o["id"] for o in m["outcomes"])
    client.post(
        f"/api/markets/{m['id']}/wagers", json={"outcome_id": no, "stake": 40}, headers=a.headers
    )
    assert client.post(f"/api/markets/{m['id']}/lock", headers=op.headers).status_code == 200
    r = client.post(
        f"/api/markets/{m['id']}/resolve", json={"outcome_id": yes}, headers=admin.headers
    )
    assert r.status_code == 200, r.get_json()
    run = client.post("/api/admin/payouts/run", headers=admin.headers).get_json()
    assert run["paid"] == [m["id"]]
    assert client.get("/api/me", headers=a.headers).get_json()["balance"] == 100
    assert client.post("/api/admin/payouts/run", headers=admin.headers).get_json()["paid"] == []
    assert verify_ledger(bet_app) == []


def test_uncertain_evidence_goes_to_review_then_admin(bet_app: Flask) -> None:
    client = bet_app.test_client()
    op = make_actor(bet_app, "operator")
    admin = make_actor(bet_app, "admin")
    m = _market(client, op)
    r = client.post(
        "/api/resolve",
        json={
            "market_id": m["id"],
            "labels": [{"label": "Cat", "confidence": 65, "timestamps": [1]}],
        },
        headers=op.headers,
    )
    body = r.get_json()
    assert body["status"] == "failed" and body["market_status"] == "review"
    assert body["payout_triggered"] is False and body["outcome"] is None
    queue = client.get("/api/admin/reviews", headers=admin.headers).get_json()["items"]
    assert [i["market"]["id"] for i in queue] == [m["id"]]
    assert queue[0]["market"]["settlement"]["decision"] == "review"
    no = m["outcomes"][1]["id"]
    r = client.post(
        f"/api/markets/{m['id']}/resolve", json={"outcome_id": no}, headers=admin.headers
    )
    assert r.get_json()["status"] == "resolved" and r.get_json()["winning_outcome_id"] == no


def test_no_needs_the_whole_window(bet_app: Flask) -> None:
    client = bet_app.test_client()
    op = make_actor(bet_app, "operator")
    m1, m2 = _market(client, op), _market(client, op)
    dog = [{"label": "Dog", "confidence": 99, "timestamps": [1]}]
    partial = client.post(
        "/api/resolve", json={"bet_id": m1["id"], "labels": dog}, headers=op.headers
    ).get_json()
    assert partial["status"] == "failed"
    whole = client.post(
        "/api/resolve",
        json={"bet_id": m2["id"], "labels": dog, "duration_seconds": 10},
        headers=op.headers,
    ).get_json()
    assert whole["status"] == "resolved" and whole["outcome"] == "NO"
    assert whole["confidence"] == 100.0


def test_insufficient_funds_and_limits(bet_app: Flask) -> None:
    client = bet_app.test_client()
    op = make_actor(bet_app, "operator")
    a = make_actor(bet_app)
    fund(bet_app, a.user_id, 50)
    m = _market(client, op, min_stake=10, max_stake=100)
    url = f"/api/markets/{m['id']}/wagers"
    yes = m["outcomes"][0]["id"]
    poor = client.post(url, json={"outcome_id": yes, "stake": 60}, headers=a.headers)
    assert poor.status_code == 409 and poor.get_json()["error"]["code"] == "insufficient_funds"
    small = client.post(url, json={"outcome_id": yes, "stake": 5}, headers=a.headers)
    assert small.status_code == 400
    for bad in (
        {"outcome_id": yes, "stake": "20"},
        {"outcome_id": yes, "stake": 20.5},
        {"outcome_id": 999999, "stake": 20},
        {"stake": 20},
    ):
        assert client.post(url, json=bad, headers=a.headers).status_code == 400, bad
    assert (
        client.post(
            "/api/markets/999/wagers", json={"outcome_id": yes, "stake": 20}, headers=a.headers
        ).status_code
        == 404
    )
    assert client.get("/api/me", headers=a.headers).get_json()["balance"] == 50
    assert verify_ledger(bet_app) == []


def test_market_creation_validates_criteria_and_leaves_nothing(bet_app: Flask) -> None:
    client = bet_app.test_client()
    op = make_actor(bet_app, "operator")
    bad = client.post(
        "/api/markets",
        json={"question": "Unicorn?", "criteria": {"label": "Unicorn"}},
        headers=op.headers,
    )
    assert bad.status_code == 400
    assert bad.get_json()["error"]["details"] == {"field": "outcomes.0.criteria.label"}
    eleven = client.post(
        "/api/markets",
        json={"question": "q", "outcomes": [{"title": str(i)} for i in range(11)]},
        headers=op.headers,
    )
    assert eleven.status_code == 400
    assert client.get("/api/markets", headers=op.headers).get_json() == {"items": [], "total": 0}
    multi = client.post(
        "/api/markets",
        json={
            "question": "Which animal?",
            "outcomes": [
                {"title": "Cat", "criteria": {"label": "kitten"}},
                {"title": "Dog", "criteria": {"label": "Dog", "min_count": 2}},
                {"title": "Neither"},
            ],
        },
        headers=op.headers,
    )
    assert multi.status_code == 201, multi.get_json()
    assert multi.get_json()["outcomes"][0]["criteria"]["label"] == "Cat"
    listed = client.get("/api/markets?status=open", headers=op.headers).get_json()
    assert listed["total"] == 1
    assert client.get("/api/markets?status=nope", headers=op.headers).status_code == 400


def test_only_the_creating_operator_or_an_admin_manages_a_market(bet_app: Flask) -> None:
    client = bet_app.test_client()
    owner, other = make_actor(bet_app, "operator"), make_actor(bet_app, "operator")
    admin = make_actor(bet_app, "admin")
    m = _market(client, owner)
    for action in ("lock", "cancel", "settle"):
        r = client.post(f"/api/markets/{m['id']}/{action}", headers=other.headers)
        assert r.status_code == 403, action
        assert r.get_json()["error"]["code"] == "forbidden"
    assert client.post(f"/api/markets/{m['id']}/lock", headers=admin.headers).status_code == 200
    assert client.post(f"/api/markets/{m['id']}/cancel", headers=owner.headers).status_code == 200


def test_original_resolve_refuses_times_that_are_not_finite(bet_app: Flask) -> None:
    client = bet_app.test_client()
    m = _market(client, make_actor(bet_app, "operator"))
    for body in (
        {"bet_id": m["id"], "labels": [{"label": "Cat", "confidence": 90, "timestamps": [1e309]}]},
        {"bet_id": m["id"], "labels": [], "duration_seconds": 1e309},
        {"bet_id": m["id"], "labels": [{"label": "Cat", "confidence": 90, "timestamps": [-1]}]},
    ):
        r = client.post("/api/resolve", data=json.dumps(body), content_type="application/json")
        assert r.status_code == 400, r.get_json()
        assert r.get_json()["error"]["code"] == "validation_failed"
