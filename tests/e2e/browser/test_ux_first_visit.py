"""Issue 16, item 5: a visitor browses open markets and their odds before signing in, reads
in one line what StreamBet is and what the live indicator means; nothing of an unlocked
market's evidence reaches them (fair market rule 1); after sign-up the starting credit is
confirmed."""

from __future__ import annotations

from typing import Any

import requests
from playwright.sync_api import expect

from tests.e2e.browser.conftest import assert_labelled, signup
from tests.e2e.browser.ux_flows import CAT_SEEN, cat_market, shot, stake
from tests.support.api import make_actor


def test_a_visitor_browses_then_signs_up(pages: Any, live_server: Any) -> None:
    operator = make_actor(live_server.app, "operator")
    market, analysis_id = cat_market(live_server, operator, CAT_SEEN)
    mid = market["id"]
    ben = signup(live_server, "Ben")
    stake(live_server, ben["token"], market, "NO", 3000)

    page = pages.open("/")
    expect(page.get_by_role("heading", name="Markets")).to_be_visible()  # not a login form
    expect(page.locator("#intro")).to_contain_text(
        "StreamBet lets you bet play money on what happens in a video"
    )
    expect(page.locator("#conn")).to_have_text("● Live")
    expect(page.locator("#conn")).to_have_attribute(
        "title",
        "Live: odds, pools and results on this page update by themselves as they change.",
    )
    expect(page.locator("#live-help")).to_contain_text("● Live")
    card = page.locator(f"#market-{mid}")
    expect(card).to_contain_text("Will a Cat appear?")
    expect(card.locator("[data-role=pool]").last).to_have_text("30.00 cr staked")
    shot(page, "ux-08-visitor-markets")

    # The market's page: odds and rules, an invitation instead of the slip, no evidence.
    card.get_by_role("link", name="Open market: Will a Cat appear?").click()
    expect(page.locator("#market-rules")).to_contain_text("YES wins if the engine sees a Cat")
    expect(page.locator("#slip-signup")).to_contain_text("New accounts start with free play money")
    expect(page.locator("#bet-slip")).to_have_count(0)
    expect(page.locator("#settlement")).to_have_count(0)
    expect(page.locator(f"#thumb-{mid}")).to_have_text("Footage sealed until betting closes.")
    assert_labelled(page)
    shot(page, "ux-09-visitor-market")

    # Rule 1 through the API a visitor's page uses: the market carries no evidence, and
    # its footage's frames and timeline are closed to visitors (and to bettors) until lock.
    anonymous = requests.get(f"{live_server.url}/api/markets/{mid}", timeout=30).json()
    assert anonymous["settlement"] is None and anonymous["engine_settlement"] is None
    listed = requests.get(f"{live_server.url}/api/markets", timeout=30).json()["items"]
    assert [m["settlement"] for m in listed] == [None]
    for path in ("/frames", "/frames/0", "?format=timeline", "/video"):
        url = f"{live_server.url}/api/analyses/{analysis_id}{path}"
        # 401, or 404 where the original API acts as the demo operator without a token.
        assert requests.get(url, timeout=30).status_code in (401, 404), path
        as_bettor = requests.get(
            url, headers={"Authorization": f"Bearer {ben['token']}"}, timeout=30
        )
        assert as_bettor.status_code == 404, path

    # Sign up from there: the starting credit is confirmed.
    page.locator("#slip-signup").get_by_role("link", name="Sign up").click()
    page.get_by_label("E-mail").fill("cleo@example.test")
    page.get_by_label("Display name (optional)").fill("Cleo")
    page.get_by_label("Date of birth").fill("1990-06-01")
    page.get_by_label("Password").fill("correct horse battery")
    page.get_by_role("button", name="Create account").click()
    expect(page.locator("#welcome")).to_have_text(
        "Welcome, Cleo! Your account starts with 100.00 cr of play money. Pick a market below,"
        " choose an outcome and stake some of it."
    )
    expect(page.locator("#balance")).to_have_text("100.00 cr")
    expect(page.locator("#intro")).to_have_count(0)
    shot(page, "ux-10-welcome-credit")
    page.reload()
    expect(page.locator("#who")).to_have_text("Cleo")
    expect(page.locator("#welcome")).to_have_count(0)  # said once
