"""Issue 16's journey, in one test at desktop and at phone size, on the real engine: a
newcomer signs up, browses, bets, watches the market settle live, sees the evidence and,
having lost, disputes it. The `pages` fixture fails the test on any console error."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.e2e.browser.conftest import assert_labelled, call, label_market, signup, upload
from tests.e2e.browser.ux_flows import shot
from tests.support.api import make_actor

# A person is seen as a person or by their face (a Face is a Person in the taxonomy).
PERSON_SEEN = re.compile("Person|Face")

ANALYSIS_TIMEOUT_MS = 180_000  # the real engine on a shared 2-core machine
SIZES = {"desktop": {"width": 1280, "height": 860}, "phone": {"width": 390, "height": 844}}


@pytest.fixture
def engine_overrides() -> dict[str, Any]:
    # As `streambet serve` runs: the consumer's sweep analyses a locked market's footage and
    # settles it; the dispute window stays open for the loser.
    return {"betting_sweep_seconds": 0.5, "dispute_window_seconds": 600}


@pytest.mark.parametrize("size", SIZES)
def test_sign_up_browse_bet_watch_it_settle_see_the_evidence_dispute(
    pages: Any, engine_server: Any, photo_clip: Path, size: str
) -> None:
    operator = make_actor(engine_server.app, "operator")
    held = upload(engine_server, operator.token, photo_clip, "hold=true")
    market = label_market(
        engine_server, operator.token, held["job_id"], "Will a Person appear in the clip?", "Person"
    )
    mid = market["id"]
    yes = market["outcomes"][0]["id"]
    ben = signup(engine_server, "Ben")
    call(
        engine_server,
        "POST",
        f"/api/markets/{mid}/wagers",
        ben["token"],
        json={"outcome_id": yes, "stake": 3000},
    )

    # A first visit: what StreamBet is, the open market and its pool, before signing in.
    page = pages.open("/", viewport=SIZES[size])
    expect(page.locator("#intro")).to_contain_text("StreamBet lets you bet play money")
    expect(page.locator(f"#market-{mid}")).to_contain_text("30.00 cr staked")

    # Sign up; the starting credit is confirmed.
    page.locator("#intro").get_by_role("link", name="Sign up").click()
    page.get_by_label("E-mail").fill(f"dana-{size}@example.test")
    page.get_by_label("Display name (optional)").fill("Dana")
    page.get_by_label("Date of birth").fill("1991-02-03")
    page.get_by_label("Password").fill("correct horse battery")
    page.get_by_role("button", name="Create account").click()
    expect(page.locator("#welcome")).to_contain_text("starts with 100.00 cr of play money")

    # Browse to the market and bet NO; the slip is honest about the pool.
    page.get_by_role("link", name="Open market: Will a Person appear in the clip?").click()
    expect(page.locator("#pool-split")).to_have_text("Pool now 30.00 cr: YES 100% · NO 0%.")
    page.get_by_label("NO").check()
    page.get_by_label("Stake").fill("20")
    # gross 50.00, takeout 2.50, net 47.50, all to her 20 if NO wins.
    expect(page.locator("#payout")).to_contain_text("a win on NO would return 47.50 cr")
    assert_labelled(page)
    page.get_by_role("button", name="Place wager").click()
    expect(page.locator("#balance")).to_have_text("80.00 cr")
    shot(page, f"ux-20-journey-{size}-bet")

    # The operator locks; the engine looks at the clip only now, and the page follows live.
    call(engine_server, "POST", f"/api/markets/{mid}/lock", operator.token)
    expect(page.locator("#market-status")).to_have_text("locked")
    expect(page.locator("#settlement-outcome")).to_contain_text(
        "Outcome: YES", timeout=ANALYSIS_TIMEOUT_MS
    )

    # The evidence: real frames, drawn from what the server stored, then the words.
    expect(page.locator("#evidence")).to_have_attribute("data-drawn", "true")
    expect(page.locator("#evidence figure").first).to_contain_text(PERSON_SEEN)
    expect(page.locator("#settlement-story")).to_have_text(
        re.compile(
            r"^YES needed a Person at 80% or more\. The engine saw an? .+ at \d+% at 0:0\d\.$"
        )
    )
    shot(page, f"ux-21-journey-{size}-evidence")

    # Dana lost, so she may dispute, while the window counts down.
    expect(page.locator("#dispute-window strong")).to_have_text(re.compile(r"^\d+ min \d\d s$"))
    page.get_by_label("Reason for your dispute").fill("The astronaut is only on a poster.")
    page.get_by_role("button", name="Dispute this result").click()
    expect(page.locator("#market-status")).to_have_text("disputed")
    expect(page.locator("#dispute-form")).to_have_count(0)
    page.get_by_role("link", name="My wagers").click()
    expect(page.locator("#open-wagers .status-pill")).to_have_text("disputed")
    shot(page, f"ux-22-journey-{size}-disputed")
