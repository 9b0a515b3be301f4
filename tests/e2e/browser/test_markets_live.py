"""Markets in real time: two bettors in two browsers see each other's stakes move the odds,
over the WebSocket and, when the socket cannot open, by polling."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import expect

from tests.e2e.browser.conftest import call, expect_console_error, signup
from tests.support.api import make_actor


def _market(live_server: Any) -> dict[str, Any]:
    operator = make_actor(live_server.app, "operator")
    return dict(
        call(
            live_server,
            "POST",
            "/api/markets",
            operator.token,
            json={
                "question": "Will a Cat appear?",
                "criteria": {"label": "Cat", "min_confidence": 80},
                "takeout_bp": 1000,
                "min_stake": 100,
                "max_stake": 5000,
            },
        )
    )


def _pool(page: Any, market_id: int, outcome_id: int) -> Any:
    return page.locator(f"#outcome-{market_id}-{outcome_id} [data-role=pool]")


def test_two_bettors_see_each_other_move_the_odds(
    pages: Any, live_server: Any, screenshot: Any
) -> None:
    market = _market(live_server)
    yes, no = (o["id"] for o in market["outcomes"])
    ana, ben = signup(live_server, "Ana"), signup(live_server, "Ben")
    page_a = pages.open(f"/#/markets/{market['id']}", token=ana["token"])
    page_b = pages.open("/#/markets", token=ben["token"], viewport={"width": 390, "height": 844})
    for page in (page_a, page_b):
        expect(page.locator("#conn")).to_have_text("● Live")
    expect(page_a.locator("#balance")).to_have_text("100.00 cr")

    # Ana backs YES: an empty pool has no odds; alone in it, her 30 would return 27 (10%
    # takeout).
    page_a.get_by_label("YES").check()
    page_a.get_by_label("Stake").fill("30")
    expect(page_a.locator("#payout")).to_contain_text("a win on YES would return 27.00 cr")
    page_a.get_by_role("button", name="Place wager").click()
    expect(page_a.locator("#balance")).to_have_text("70.00 cr")
    # Ben's list, never reloaded, shows her stake.
    expect(_pool(page_b, market["id"], yes)).to_have_text("30.00 cr staked")

    # Ben backs NO from the market page; Ana's page follows without a reload.
    page_b.get_by_role("link", name="Open market: Will a Cat appear?").click()
    page_b.get_by_label("NO").check()
    page_b.get_by_label("Stake").fill("10.00")
    # gross 40, net 36, all of it to NO's 10 if NO wins.
    expect(page_b.locator("#payout")).to_contain_text("a win on NO would return 36.00 cr")
    page_b.get_by_role("button", name="Place wager").click()
    expect(page_b.locator("#balance")).to_have_text("90.00 cr")
    expect(_pool(page_a, market["id"], no)).to_have_text("10.00 cr staked")
    expect(page_a.locator("#market-pool")).to_have_text("Pool 40.00 cr")
    # Pari-mutuel odds from the pools net of 10% takeout: YES 36/30 = 1.20, NO 36/10 = 3.60.
    expect(page_a.locator(f"#outcome-{market['id']}-{yes} [data-role=odds]")).to_have_text("1.20×")
    expect(page_a.locator(f"#outcome-{market['id']}-{no} [data-role=odds]")).to_have_text("3.60×")
    page_a.get_by_label("Stake").fill("20")
    # With her 20 in too: gross 60, net 54, x 20 / 50 = 21.60.
    expect(page_a.locator("#payout")).to_contain_text("a win on YES would return 21.60 cr")
    screenshot(page_a, "06-market-bettor-a")
    screenshot(page_b, "07-market-bettor-b-phone")

    page_a.get_by_role("link", name="My wagers").click()
    expect(page_a.locator("#open-wagers")).to_contain_text("30.00 cr")
    expect(page_a.locator("#open-wagers")).to_contain_text("Will a Cat appear?")


def test_page_falls_back_to_polling_when_the_socket_cannot_open(
    pages: Any, live_server: Any, screenshot: Any
) -> None:
    market = _market(live_server)
    yes = market["outcomes"][0]["id"]
    ana, ben = signup(live_server, "Ana"), signup(live_server, "Ben")
    page = pages.open("/#/markets", token=ana["token"])
    expect_console_error(page, "WebSocket connection to")
    page.context.route_web_socket("**/api/ws", lambda ws: ws.close())
    page.reload()
    expect(page.locator("#conn")).to_contain_text("refreshing every few seconds")
    call(
        live_server,
        "POST",
        f"/api/markets/{market['id']}/wagers",
        ben["token"],
        json={"outcome_id": yes, "stake": 2500},
    )
    expect(_pool(page, market["id"], yes)).to_have_text("25.00 cr staked")
    screenshot(page, "08-markets-polling")
