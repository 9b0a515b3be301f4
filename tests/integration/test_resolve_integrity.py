"""`POST /api/resolve` (the original endpoint) settles only what its caller manages, and in
production only from the market's own evidence (issue 12, items 1-2)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask

from streambet import create_app
from streambet.services import demo as demo_accounts
from streambet.services import markets
from tests.support.api import Actor, make_actor, start, upload
from tests.support.betting import fund, verify_ledger

CAT = [{"label": "Cat", "confidence": 99, "timestamps": [0.5]}]
SCRIPT = [{"name": "Cat", "start_ms": 0, "end_ms": 1000, "confidence": 95}]


@pytest.fixture
def prod_app(base_config: dict[str, Any], database_url: str) -> Iterator[Flask]:
    app = create_app(
        {
            **base_config,
            "env": "production",
            "secret_key": "a-private-test-secret-of-enough-length",
            "database_url": database_url,
            "dispute_window_seconds": 0,
        }
    )
    try:
        yield app
    finally:
        app.extensions["streambet"].close()


def _market(app: Flask, operator: Actor, **extra: Any) -> dict[str, Any]:
    body = {"question": "Will a cat appear?", "criteria": {"label": "Cat"}, **extra}
    r = app.test_client().post("/api/markets", json=body, headers=operator.headers)
    assert r.status_code == 201, r.get_json()
    return r.get_json()


def _resolve(app: Flask, who: Actor | None, market_id: int, labels: Any = None) -> Any:
    body: dict[str, Any] = {"bet_id": market_id}
    if labels is not None:
        body["labels"] = labels
    return app.test_client().post("/api/resolve", json=body, headers=who.headers if who else {})


def test_another_operator_cannot_resolve_a_market(prod_app: Flask, tiny_clip: bytes) -> None:
    creator, other = make_actor(prod_app, "operator"), make_actor(prod_app, "operator")
    bettor = make_actor(prod_app)
    fund(prod_app, bettor.user_id, 100)
    job = upload(prod_app, creator, tiny_clip, SCRIPT, hold=True)
    m = _market(prod_app, creator, analysis_id=job)
    staked = prod_app.test_client().post(
        f"/api/markets/{m['id']}/wagers",
        json={"outcome_id": m["outcomes"][1]["id"], "stake": 40},
        headers=bettor.headers,
    )
    assert staked.status_code == 201
    start(prod_app, creator, job)
    for labels in (None, CAT):
        r = _resolve(prod_app, other, m["id"], labels)
        assert r.status_code == 403, r.get_json()
        assert r.get_json()["error"]["code"] == "forbidden"
    assert _resolve(prod_app, None, m["id"]).status_code == 401
    seen = prod_app.test_client().get(f"/api/markets/{m['id']}", headers=bettor.headers)
    assert seen.get_json()["status"] == "open"  # nothing changed


def test_in_production_labels_from_the_client_do_not_settle(
    prod_app: Flask, tiny_clip: bytes
) -> None:
    creator = make_actor(prod_app, "operator")
    job = upload(prod_app, creator, tiny_clip, [], hold=True)  # the engine will see no cat
    m = _market(prod_app, creator, analysis_id=job)
    start(prod_app, creator, job)
    refused = _resolve(prod_app, creator, m["id"], CAT)
    assert refused.status_code == 400, refused.get_json()
    error = refused.get_json()["error"]
    assert error["code"] == "labels_not_accepted" and error["details"] == {"field": "labels"}
    # Its own evidence settles it, through the same path as POST .../settle.
    own = _resolve(prod_app, creator, m["id"])
    assert own.status_code == 200, own.get_json()
    body = own.get_json()
    assert body["outcome"] == "NO" and body["market_status"] == "resolved"
    settled = prod_app.test_client().get(f"/api/markets/{m['id']}", headers=creator.headers)
    assert settled.get_json()["settlement"]["source"] == "evidence"


def test_a_market_made_for_client_labels_always_goes_to_review(prod_app: Flask) -> None:
    creator, admin, bettor = (
        make_actor(prod_app, "operator"),
        make_actor(prod_app, "admin"),
        make_actor(prod_app),
    )
    fund(prod_app, bettor.user_id, 100)
    m = _market(prod_app, creator, evidence="client")
    assert m["evidence"] == "client" and m["analysis_id"] is None
    yes = m["outcomes"][0]["id"]
    client = prod_app.test_client()
    client.post(
        f"/api/markets/{m['id']}/wagers",
        json={"outcome_id": yes, "stake": 50},
        headers=bettor.headers,
    )
    r = _resolve(prod_app, creator, m["id"], CAT)
    assert r.status_code == 200, r.get_json()
    body = r.get_json()
    assert body["status"] == "failed" and body["payout_triggered"] is False
    assert body["market_status"] == "review"
    market = client.get(f"/api/markets/{m['id']}", headers=bettor.headers).get_json()
    assert market["settlement"]["source"] == "client" and market["paid_at_ms"] is None
    queue = client.get("/api/admin/reviews", headers=admin.headers).get_json()["items"]
    assert [i["market"]["id"] for i in queue] == [m["id"]]
    # Without labels there is nothing of its own to settle from.
    other = _market(prod_app, creator, evidence="client")
    missing = _resolve(prod_app, creator, other["id"])
    assert missing.status_code == 409
    assert missing.get_json()["error"]["code"] == "evidence_unavailable"
    assert verify_ledger(prod_app) == []


def test_a_client_labelled_market_has_no_footage(prod_app: Flask, tiny_clip: bytes) -> None:
    creator = make_actor(prod_app, "operator")
    job = upload(prod_app, creator, tiny_clip, [], hold=True)
    r = prod_app.test_client().post(
        "/api/markets",
        json={
            "question": "Cat?",
            "criteria": {"label": "Cat"},
            "analysis_id": job,
            "evidence": "client",
        },
        headers=creator.headers,
    )
    assert r.status_code == 400
    assert r.get_json()["error"]["details"] == {"field": "evidence"}


def test_the_demo_operator_resolves_only_demo_markets(app: Flask) -> None:
    """Outside production the original endpoints act as the demo operator without a token;
    it manages the markets it made, and no other."""
    creator = make_actor(app, "operator")
    client = app.test_client()
    theirs = _market(app, creator)
    r = _resolve(app, None, theirs["id"], CAT)
    assert r.status_code == 403, r.get_json()
    assert (
        client.get(f"/api/markets/{theirs['id']}", headers=creator.headers).get_json()["status"]
        == "open"
    )
    w = app.extensions["streambet"]
    operator = demo_accounts.ensure_demo_operator(w.uow())
    mine = markets.create_market(
        w.uow(),
        w.vocabulary,
        operator,
        "Cat?",
        [markets.OutcomeDraft("YES", {"label": "Cat"}), markets.OutcomeDraft("NO")],
    )
    own = _resolve(app, None, mine.id, CAT)
    assert own.status_code == 200, own.get_json()
    assert own.get_json()["outcome"] == "YES"  # outside production reported labels settle
