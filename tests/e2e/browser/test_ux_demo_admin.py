"""Issue 16, item 4: `streambet demo seed` makes a demo admin who reaches the review queue
from the web app; `streambet users list` shows the accounts and `streambet users
reset-password EMAIL` gives a way back in when the first passwords are gone."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from typing import Any

from playwright.sync_api import expect

from tests.e2e.browser.ux_flows import shot

ADMIN = "admin@demo.streambet.local"


def _cli(server: Any, *args: str) -> str:
    settings = server.wiring.settings
    env = {
        **os.environ,
        "STREAMBET_DATABASE_URL": settings.resolved_database_url,
        "STREAMBET_DATA_DIR": str(settings.data_dir),
        "STREAMBET_QUEUE_BACKEND": "memory",
        "STREAMBET_ANALYSIS_BACKEND": "fake",
    }
    done = subprocess.run(
        [sys.executable, "-m", "streambet.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    return done.stdout


def _log_in(page: Any, email: str, password: str) -> None:
    page.goto("/#/login")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()


def test_demo_admin_reaches_the_review_queue_and_a_reset_gets_back_in(
    pages: Any, live_server: Any
) -> None:
    seeded = _cli(live_server, "demo", "seed")
    first = re.search(rf"admin\s+{re.escape(ADMIN)}\s+password: (\S+)", seeded)
    assert first, seeded
    page = pages.open("/#/login")
    _log_in(page, ADMIN, first.group(1))
    expect(page.locator("#who")).to_be_visible()
    page.get_by_role("link", name="Reviews").click()
    expect(page.get_by_role("heading", name="Review queue")).to_be_visible()
    shot(page, "ux-11-demo-admin-review-queue")
    page.locator("#logout").click()

    # A second seed prints no passwords but says how to get back in.
    again = _cli(live_server, "demo", "seed")
    assert "password:" not in again and "users reset-password EMAIL" in again
    assert ADMIN in _cli(live_server, "users", "list")
    reset = _cli(live_server, "users", "reset-password", ADMIN)
    fresh = re.search(r"\(shown this once\): (\S+)", reset)
    assert fresh, reset
    _log_in(page, ADMIN, fresh.group(1))
    expect(page.locator("#who")).to_be_visible()
    expect(page.locator(".role-badge")).to_have_text("admin")
