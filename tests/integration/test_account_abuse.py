"""Sign-up tells nobody which e-mails have accounts; logins are throttled per account and
per address, and hash passwords outside every transaction (issue 12, items 5 and 15)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask

from streambet import create_app
from streambet.adapters.mail import RecordingMailer
from streambet.services import accounts
from tests.support.api import ADULT, PASSWORD, make_actor
from tests.support.betting import fund


@pytest.fixture
def mail_app(base_config: dict[str, Any], database_url: str) -> Iterator[Flask]:
    app = create_app({**base_config, "database_url": database_url, "mail_backend": "record"})
    try:
        yield app
    finally:
        app.extensions["streambet"].close()


def test_signup_with_an_existing_email_answers_like_a_new_one(mail_app: Flask) -> None:
    client = mail_app.test_client()
    owner = make_actor(mail_app, "bettor", email="taken@example.test")
    fresh = client.post(
        "/api/auth/signup",
        json={"email": "new@example.test", "password": "long enough pw", "birth_date": ADULT},
    )
    taken = client.post(
        "/api/auth/signup",
        json={"email": "Taken@Example.test", "password": "other long pw", "birth_date": ADULT},
    )
    assert fresh.status_code == taken.status_code == 202
    assert fresh.get_json() == taken.get_json()
    assert dict(fresh.headers).keys() - {"X-Request-ID"} == dict(taken.headers).keys() - {
        "X-Request-ID"
    }
    # nothing changed for the owner: the old password still works, the new one does not
    again = client.post("/api/auth/login", json={"email": owner.email, "password": PASSWORD})
    assert again.status_code == 200
    hijack = client.post(
        "/api/auth/login", json={"email": owner.email, "password": "other long pw"}
    )
    assert hijack.status_code == 401
    mailer = mail_app.extensions["streambet"].mailer
    assert isinstance(mailer, RecordingMailer)
    by_address = {m.to: m.subject for m in mailer.sent}
    assert by_address["new@example.test"] == accounts.WELCOME[0]
    assert by_address["taken@example.test"] == accounts.ALREADY[0]


def test_logins_are_throttled_per_account(app: Flask) -> None:
    victim = make_actor(app, "bettor")
    client = app.test_client()
    attempts = [
        client.post("/api/auth/login", json={"email": victim.email, "password": f"guess {i}!"})
        for i in range(6)
    ]
    assert [r.status_code for r in attempts[:5]] == [401] * 5
    refused = attempts[5]
    assert refused.status_code == 429
    assert refused.get_json()["error"]["code"] == "too_many_requests"
    assert int(refused.headers["Retry-After"]) >= 1
    # another account from the same address is not locked by it
    other = make_actor(app, "bettor")
    assert (
        client.post("/api/auth/login", json={"email": other.email, "password": PASSWORD})
    ).status_code == 200


@pytest.fixture
def strict_app(base_config: dict[str, Any], database_url: str) -> Iterator[Flask]:
    """Five attempts an hour from one address (so the test never races the refill)."""
    app = create_app(
        {
            **base_config,
            "database_url": database_url,
            "login_address_attempts": 5,
            "login_address_window_seconds": 3600,
        }
    )
    try:
        yield app
    finally:
        app.extensions["streambet"].close()


def test_logins_are_throttled_per_address(strict_app: Flask) -> None:
    client = strict_app.test_client()
    statuses = [
        client.post(
            "/api/auth/login",
            json={"email": f"nobody{i}@example.test", "password": "wrong wrong"},
            environ_base={"REMOTE_ADDR": "192.0.2.7"},
        ).status_code
        for i in range(6)
    ]
    assert statuses == [401] * 5 + [429]
    elsewhere = client.post(
        "/api/auth/login",
        json={"email": "nobody@example.test", "password": "wrong wrong"},
        environ_base={"REMOTE_ADDR": "192.0.2.8"},
    )
    assert elsewhere.status_code == 401


def test_password_hashing_holds_no_transaction(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    """While a login verifies its password, a wager commits: the hash runs outside the
    SQLite writer (the old code verified inside its write transaction)."""
    bettor, operator = make_actor(app), make_actor(app, "operator")
    fund(app, bettor.user_id, 100)
    market = (
        app.test_client()
        .post("/api/markets", json={"question": "Q?"}, headers=operator.headers)
        .get_json()
    )
    verifying, release = threading.Event(), threading.Event()
    real = accounts._hasher

    class SlowHasher:
        def verify(self, stored: str, password: str) -> bool:
            verifying.set()
            release.wait(30)
            return real.verify(stored, password)

    monkeypatch.setattr(accounts, "_hasher", SlowHasher())
    login = threading.Thread(
        target=lambda: app.test_client().post(
            "/api/auth/login", json={"email": bettor.email, "password": "wrong password"}
        )
    )
    login.start()
    try:
        assert verifying.wait(10)
        staked = app.test_client().post(
            f"/api/markets/{market['id']}/wagers",
            json={"outcome_id": market["outcomes"][0]["id"], "stake": 5},
            headers=bettor.headers,
        )
        assert staked.status_code == 201
        assert login.is_alive()  # the wager did not wait for the login's hash to finish
    finally:
        release.set()
        login.join(10)
