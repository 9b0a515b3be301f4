from __future__ import annotations

from datetime import date, timedelta

from flask import Flask
from flask.testing import FlaskClient

from tests.support.api import ADULT, make_actor


def test_signup_login_and_logout_round_trip(any_db_app: Flask) -> None:
    client = any_db_app.test_client()
    created = client.post(
        "/api/auth/signup",
        json={"email": "Ann@Example.test", "password": "long enough pw", "birth_date": ADULT},
    )
    assert created.status_code == 202
    assert created.get_json()["status"] == "accepted"
    assert "token" not in created.get_json()
    login = client.post(
        "/api/auth/login", json={"email": "ann@example.test", "password": "long enough pw"}
    )
    assert login.status_code == 200
    assert login.get_json()["user"] == {
        "id": login.get_json()["user"]["id"],
        "email": "ann@example.test",
        "display_name": "ann",
        "role": "bettor",
    }
    headers = {"Authorization": f"Bearer {login.get_json()['token']}"}
    assert client.post("/api/auth/logout", headers=headers).status_code == 204
    again = client.post("/api/auth/logout", headers=headers)
    assert again.status_code == 401
    assert again.get_json()["error"]["message"] == "That token was revoked."


def test_wrong_password_and_unknown_email_look_the_same(app: Flask) -> None:
    actor = make_actor(app)
    client = app.test_client()
    wrong = client.post("/api/auth/login", json={"email": actor.email, "password": "nope nope"})
    unknown = client.post("/api/auth/login", json={"email": "x@y.test", "password": "nope nope"})
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.get_json() == unknown.get_json()


def test_bad_bodies_get_the_error_envelope(client: FlaskClient) -> None:
    not_json = client.post("/api/auth/signup", data="hello")
    assert not_json.status_code == 400
    assert set(not_json.get_json()["error"]) == {"code", "message", "details"}
    short = client.post(
        "/api/auth/signup", json={"email": "a@b.test", "password": "short", "birth_date": ADULT}
    )
    assert short.status_code == 400
    assert short.get_json()["error"]["details"] == {"field": "password"}
    for common in ("password123", "qwertyuiop", "12345678", "iloveyou1", "a@b.test1"):
        weak = client.post(
            "/api/auth/signup", json={"email": "a@b.test", "password": common, "birth_date": ADULT}
        )
        assert weak.status_code == 400, common
        assert weak.get_json()["error"]["code"] == "weak_password"
        assert weak.get_json()["error"]["details"] == {"field": "password"}
    missing = client.post("/api/auth/signup", json={"email": "a@b.test"})
    assert missing.get_json()["error"]["details"][0]["field"] == "password"


def test_unknown_route_and_wrong_method_use_the_envelope(client: FlaskClient) -> None:
    missing = client.get("/api/nope")
    assert missing.status_code == 404
    assert missing.get_json()["error"]["code"] == "not_found"
    wrong = client.get("/api/auth/login")
    assert wrong.status_code == 405
    assert "POST" in wrong.headers["Allow"]


def test_sign_up_needs_a_date_of_birth_at_least_18_years_back(client: FlaskClient) -> None:
    body = {"email": "kid@example.test", "password": "long enough pw"}
    missing = client.post("/api/auth/signup", json=body)
    assert missing.status_code == 400
    assert missing.get_json()["error"]["details"][0]["field"] == "birth_date"
    today = date.today()
    almost = today.replace(year=today.year - 18) + timedelta(days=1)
    young = client.post("/api/auth/signup", json={**body, "birth_date": almost.isoformat()})
    assert young.status_code == 400
    assert young.get_json()["error"]["code"] == "under_age"
    future = client.post("/api/auth/signup", json={**body, "birth_date": "2999-01-01"})
    assert future.status_code == 400
    exactly = today.replace(year=today.year - 18, day=min(today.day, 28))
    assert (
        client.post(
            "/api/auth/signup", json={**body, "birth_date": exactly.isoformat()}
        ).status_code
        == 202
    )
