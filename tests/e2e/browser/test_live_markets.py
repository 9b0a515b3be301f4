"""Live markets in Chromium on a replayed stream: a bettor backs YES on "a person in the
next minute" before the window opens, the countdown runs, and when the astronaut comes
round in the looping clip the market settles YES with its evidence frame and pays, all
without a reload. The operator's page has the recurring template form."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.e2e.browser.conftest import LiveServer
from tests.support.api import make_actor
from tests.support.betting import fund
from tests.support.clips import make_clip

pytestmark = pytest.mark.slow


@pytest.fixture
def engine_overrides() -> dict[str, Any]:
    # The consumer's sweeps settle and pay by themselves; the live job's lease is short.
    return {"betting_sweep_seconds": 0.5, "job_lease_seconds": 5}


def test_bet_on_the_next_minute_and_see_it_settle_and_pay(
    pages: Any, engine_server: LiveServer, tmp_path: Path, screenshot: Any
) -> None:
    app = engine_server.app
    op, bettor = make_actor(app, "operator"), make_actor(app)
    fund(app, bettor.user_id, 5_000)
    clip = make_clip(tmp_path / "room.mp4", [("coffee", 4), ("astronaut", 4)], fps=10)
    c = app.test_client()
    stream = c.post(
        "/api/streams",
        json={
            "name": "Room cam",
            "source_url": f"replay:{clip}",
            "options": {"loop": True, "audio": False},  # every picture detector
            "start": True,
        },
        headers=op.headers,
    ).get_json()
    sid = stream["id"]
    start = int(time.time() * 1000) + 25_000
    made = c.post(
        f"/api/streams/{sid}/markets",
        json={
            "question": "A person in the next minute?",
            "criteria": {"label": "Person"},
            "from_ms": start,
            "minutes": 1,
            "takeout_bp": 0,
        },
        headers=op.headers,
    )
    assert made.status_code == 201, made.get_json()
    mid = made.get_json()["market"]["id"]

    page = pages.open(f"/#/live/{sid}", token=bettor.token)
    expect(page.locator("#conn")).to_have_text("● Live")
    card = page.locator(f"#live-market-{mid}")
    expect(card.locator("h2")).to_have_text("A person in the next minute?")
    expect(card.locator("[data-role=clock]")).to_contain_text("Betting closes in")
    expect(page.locator("#balance")).to_contain_text("50")
    card.get_by_role("button", name="Bet on this").click()
    page.locator("#stake").fill("10.00")
    page.get_by_role("button", name="Place wager").click()
    expect(page.locator(".toast").first).to_contain_text("Wager placed")
    expect(page.locator("#balance")).to_contain_text("40")
    url = page.url
    # Betting closes as the window opens; the engine sees the astronaut within one loop.
    expect(card.locator("[data-role=clock]")).to_contain_text("Watching", timeout=40_000)
    expect(card.locator(".live-outcome")).to_contain_text("Outcome: YES", timeout=60_000)
    expect(card.locator("img.live-evidence")).to_be_visible()
    expect(card.locator(".live-outcome")).to_contain_text("paid", timeout=20_000)
    expect(page.locator("#balance")).to_contain_text("50")  # the whole pool was theirs
    assert page.url == url  # no reload, no navigation
    screenshot(page, "live-market-settled")


def test_the_operator_sets_a_recurring_market(pages: Any, engine_server: LiveServer) -> None:
    app = engine_server.app
    op = make_actor(app, "operator")
    stream = (
        app.test_client()
        .post(
            "/api/streams",
            json={"name": "Idle cam", "source_url": "replay:/nonexistent.mp4"},
            headers=op.headers,
        )
        .get_json()
    )
    page = pages.open(f"/#/streams/{stream['id']}", token=op.token)
    page.locator("#stream-markets").click()
    page.locator("#template-every").fill("5")
    page.locator("#template-window").fill("2")
    page.get_by_role("button", name="Open recurring markets").click()
    expect(page.locator("#template-list")).to_contain_text("every 5 min")
    # The consumer opens its first period's market within a second or two.
    expect(page.locator(".live-market h2").first).to_have_text(
        "Will a person appear in the next minute?", timeout=15_000
    )
    expect(page.locator(".live-market [data-role=clock]").first).to_contain_text(
        "Betting closes in"
    )
