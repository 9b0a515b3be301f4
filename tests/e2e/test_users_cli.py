"""`streambet demo seed`, `users list` and `users reset-password` on a live database: the
demo has an admin, a second seed points to the way back in, and a reset password logs in
(the old one no longer does, and the old session ends)."""

from __future__ import annotations

import os
import re
import subprocess
import sys

from flask import Flask

from tests.support.api import PASSWORD, make_actor


def _cli(app: Flask, *args: str) -> subprocess.CompletedProcess[str]:
    settings = app.extensions["streambet"].settings
    env = {
        **os.environ,
        "STREAMBET_DATABASE_URL": settings.resolved_database_url,
        "STREAMBET_DATA_DIR": str(settings.data_dir),
        "STREAMBET_QUEUE_BACKEND": "memory",
        "STREAMBET_ANALYSIS_BACKEND": "fake",
    }
    return subprocess.run(
        [sys.executable, "-m", "streambet.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def _login(app: Flask, email: str, password: str) -> int:
    client = app.test_client()
    return client.post("/api/auth/login", json={"email": email, "password": password}).status_code


def test_demo_seed_has_an_admin_and_a_way_back_in(app: Flask) -> None:
    first = _cli(app, "demo", "seed")
    assert first.returncode == 0, first.stderr
    passwords = dict(re.findall(r"(\S+@demo\.streambet\.local)\s+password: (\S+)", first.stdout))
    assert set(passwords) == {
        "admin@demo.streambet.local",
        "operator@demo.streambet.local",
        "alice@demo.streambet.local",
        "bob@demo.streambet.local",
    }
    assert re.search(r"admin\s+admin@demo\.streambet\.local", first.stdout)
    admin = "admin@demo.streambet.local"
    assert _login(app, admin, passwords[admin]) == 200
    # The admin reaches the review queue.
    token = app.test_client().post(
        "/api/auth/login", json={"email": admin, "password": passwords[admin]}
    )
    queue = app.test_client().get(
        "/api/admin/reviews", headers={"Authorization": f"Bearer {token.get_json()['token']}"}
    )
    assert queue.status_code == 200

    again = _cli(app, "demo", "seed")
    assert again.returncode == 0, again.stderr
    assert "password:" not in again.stdout
    assert "streambet users reset-password EMAIL" in again.stdout

    listed = _cli(app, "users", "list")
    assert listed.returncode == 0, listed.stderr
    for email in passwords:
        assert email in listed.stdout
    assert re.search(r"\badmin\s+admin@demo", listed.stdout)
    assert listed.stdout.strip().endswith("4 account(s)")


def test_reset_password_prints_a_new_one_and_ends_sessions(app: Flask) -> None:
    ana = make_actor(app, "bettor", "ana@example.test")
    client = app.test_client()
    assert client.get("/api/me", headers=ana.headers).status_code == 200

    reset = _cli(app, "users", "reset-password", "  ANA@example.test ")
    assert reset.returncode == 0, reset.stderr
    found = re.search(
        r"new password for ana@example\.test \(shown this once\): (\S+)", reset.stdout
    )
    assert found, reset.stdout
    assert _login(app, ana.email, found.group(1)) == 200
    assert _login(app, ana.email, PASSWORD) == 401
    assert client.get("/api/me", headers=ana.headers).status_code == 401

    unknown = _cli(app, "users", "reset-password", "nobody@example.test")
    assert unknown.returncode == 1
    assert "No account with the e-mail nobody@example.test." in unknown.stderr
