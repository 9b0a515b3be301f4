"""Bad input is a 4xx in the envelope, never a 500 (issue 12, items 7-10), on SQLite and
PostgreSQL: deeply nested JSON, integers past 64 bits, absurd times, NUL characters."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest
from flask import Flask

from streambet.api.ws import _Viewer
from tests.support.api import ADULT, Actor, make_actor
from tests.support.betting import fund

DEEP = "[" * 100_000 + "]" * 100_000
HUGE = 99999999999999999999  # > 2**64


def _envelope(response: Any, status: int | tuple[int, ...]) -> dict[str, Any]:
    allowed = (status,) if isinstance(status, int) else status
    assert response.status_code in allowed, (response.status_code, response.get_data()[:300])
    body = response.get_json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message", "details"}
    return dict(body["error"])


def _raw(app: Flask, method: str, url: str, text: str, who: Actor | None = None) -> Any:
    headers = {"Content-Type": "application/json", **(who.headers if who else {})}
    return app.test_client().open(url, method=method, data=text, headers=headers)


@pytest.fixture
def world(any_db_app: Flask) -> dict[str, Any]:
    app = any_db_app
    operator, bettor = make_actor(app, "operator"), make_actor(app)
    fund(app, bettor.user_id, 1_000)
    r = app.test_client().post(
        "/api/markets",
        json={"question": "Cat?", "criteria": {"label": "Cat"}},
        headers=operator.headers,
    )
    assert r.status_code == 201
    return {"operator": operator, "bettor": bettor, "market": r.get_json()}


def test_deeply_nested_json_is_a_400_everywhere(any_db_app: Flask, world: dict[str, Any]) -> None:
    app, op, bettor = any_db_app, world["operator"], world["bettor"]
    market_id = world["market"]["id"]
    for method, url, who in (
        ("POST", "/api/auth/login", None),
        ("POST", "/api/auth/signup", None),
        ("POST", "/api/markets", op),
        ("POST", f"/api/markets/{market_id}/wagers", bettor),
        ("POST", "/api/resolve", op),
        ("POST", "/api/me/deposits", bettor),
    ):
        error = _envelope(_raw(app, method, url, DEEP, who), 400)
        assert error["code"] == "invalid_json", (url, error)
        assert "recursion" in error["message"], error
        nested = '{"email": "a@b.cd", "password": "x", "extra": ' + DEEP + "}"
        _envelope(_raw(app, method, url, nested, who), 400)
    # ... and inside the criteria of a market, which is free-form JSON
    criteria = '{"question": "Q?", "criteria": ' + "{" + '"all": [' * 5000 + "]" * 5000 + "}}"
    _envelope(_raw(app, "POST", "/api/markets", criteria, op), 400)


def test_deep_json_in_the_options_field_of_an_upload(any_db_app: Flask, tiny_clip: bytes) -> None:
    op = make_actor(any_db_app, "operator")
    response = any_db_app.test_client().post(
        "/api/analyze",
        # 30 000 deep: inside the form's 64 KB field limit
        data={"options": "[" * 30_000 + "]" * 30_000, "file": (io.BytesIO(tiny_clip), "c.mp4")},
        content_type="multipart/form-data",
        headers=op.headers,
    )
    error = _envelope(response, 400)
    assert error["code"] == "invalid_json" and "'options'" in error["message"]


def test_deep_json_over_the_websocket_is_ignored(app: Flask) -> None:
    viewer = _Viewer(app.extensions["streambet"])
    assert viewer.hear("[" * 2000 + "]" * 2000) is None  # within MAX_MESSAGE, 2000 deep
    assert viewer.principal is None


def test_integers_past_64_bits(any_db_app: Flask, world: dict[str, Any]) -> None:
    app, op, bettor = any_db_app, world["operator"], world["bettor"]
    market = world["market"]
    admin = make_actor(app, "admin")
    client = app.test_client()
    for url in (
        f"/api/markets/{HUGE}",
        f"/api/markets/{HUGE}/wagers",
        f"/api/markets/{2**31}",
        "/api/markets/0",
    ):
        # no route matches (werkzeug says 405 when a sibling rule's method differs)
        _envelope(client.get(url, headers=bettor.headers), (404, 405))
    _envelope(client.post(f"/api/admin/disputes/{HUGE}", json={}, headers=admin.headers), 404)
    for query in (f"offset={HUGE}", f"offset={2**63}", f"limit={HUGE}", "offset=-1"):
        _envelope(client.get(f"/api/markets?{query}", headers=bettor.headers), 400)
        _envelope(client.get(f"/api/me/wagers?{query}", headers=bettor.headers), 400)
    for url, body, who in (
        (f"/api/markets/{market['id']}/wagers", {"outcome_id": HUGE, "stake": 5}, bettor),
        (f"/api/markets/{market['id']}/wagers", {"outcome_id": 1, "stake": HUGE}, bettor),
        ("/api/resolve", {"bet_id": HUGE}, op),
        ("/api/resolve", {"market_id": -HUGE}, op),
        (f"/api/markets/{market['id']}/resolve", {"outcome_id": HUGE}, admin),
        ("/api/me/deposits", {"amount": HUGE}, bettor),
        ("/api/me/withdrawals", {"amount": HUGE}, bettor),
        ("/api/markets", {"question": "Q?", "max_stake": HUGE}, op),
        ("/api/markets", {"question": "Q?", "takeout_bp": -HUGE}, op),
        ("/api/markets", {"question": "Q?", "criteria": {"label": "Cat", "min_count": HUGE}}, op),
        (
            "/api/markets",
            {"question": "Q?", "criteria": {"label": "Cat", "min_confidence": 10**400}},
            op,
        ),
    ):
        _envelope(client.post(url, json=body, headers=who.headers), 400)
    # a body the client wrote by hand, with a number JSON allows but no float holds
    _envelope(_raw(app, "POST", "/api/markets", '{"question": "Q?", "max_stake": 1e400}', op), 400)


def test_absurd_market_times(any_db_app: Flask, world: dict[str, Any]) -> None:
    op = world["operator"]
    client = any_db_app.test_client()
    for times in (
        {"opens_at_ms": 10**18},
        {"closes_at_ms": 10**18},
        {"opens_at_ms": -(10**15)},
        {"closes_at_ms": 1e18},
        {"opens_at_ms": HUGE},
    ):
        body = {"question": "Q?", "criteria": {"label": "Cat"}, **times}
        error = _envelope(client.post("/api/markets", json=body, headers=op.headers), 400)
        assert error["details"][0]["field"] in times, error
    fine = {"question": "Q?", "closes_at_ms": 4_102_444_799_000}  # 2099-12-31
    assert client.post("/api/markets", json=fine, headers=op.headers).status_code == 201


def test_nul_characters_in_text(any_db_app: Flask, world: dict[str, Any]) -> None:
    app, op, bettor = any_db_app, world["operator"], world["bettor"]
    market = world["market"]
    client = app.test_client()
    cases: list[tuple[str, dict[str, Any], Actor | None, str]] = [
        (
            "/api/auth/signup",
            {"email": "a\x00@b.cd", "password": "x" * 12, "birth_date": ADULT},
            None,
            "email",
        ),
        ("/api/auth/login", {"email": "a\x00@b.cd", "password": "x" * 12}, None, "email"),
        (
            "/api/auth/signup",
            {
                "email": "nul@b.cd",
                "password": "long enough pass",
                "display_name": "a\x00",
                "birth_date": ADULT,
            },
            None,
            "display_name",
        ),
        ("/api/markets", {"question": "Cat\x00?"}, op, "question"),
        (
            "/api/markets",
            {"question": "Q?", "outcomes": [{"title": "A\x00"}, {"title": "B"}]},
            op,
            "outcomes.0.title",
        ),
        (
            "/api/markets",
            {"question": "Q?", "criteria": {"label": "C\x00at"}},
            op,
            "criteria.label",
        ),
        ("/api/markets", {"question": "Q?", "analysis_id": "ab\x00"}, op, "analysis_id"),
        (f"/api/markets/{market['id']}/cancel", {"reason": "x\x00"}, op, "reason"),
        (
            "/api/resolve",
            {"bet_id": market["id"], "labels": [{"label": "C\x00", "confidence": 90}]},
            op,
            "labels.0.label",
        ),
    ]
    for url, body, who, field in cases:
        response = client.post(url, json=body, headers=who.headers if who else {})
        error = _envelope(response, 400)
        fields = (
            [d["field"] for d in error["details"]]
            if isinstance(error["details"], list)
            else [error["details"]["field"]]
        )
        assert field in fields, (url, error)
    _envelope(client.get("/api/markets?analysis_id=%00", headers=bettor.headers), 400)
    _envelope(client.get("/api/analyses/ab%00cd", headers=op.headers), 404)
    wager = client.post(
        f"/api/markets/{market['id']}/wagers",
        json={"outcome_id": market["outcomes"][0]["id"], "stake": 5},
        headers={**bettor.headers, "Idempotency-Key": "k\x00y"},
    )
    assert _envelope(wager, 400)["details"] == {"field": "Idempotency-Key"}
    assert client.get(f"/api/markets/{market['id']}", headers=bettor.headers).status_code == 200


def test_a_json_body_has_a_size_limit(any_db_app: Flask) -> None:
    body = json.dumps({"email": "a@b.cd", "password": "x" * (2 * 1024 * 1024)})
    error = _envelope(_raw(any_db_app, "POST", "/api/auth/login", body), 413)
    assert error["code"] == "payload_too_large"
