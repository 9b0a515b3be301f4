"""Issue 16, items 1 and 10: the bet slip shows what a pari-mutuel pool can honestly show
(the split in percent, the return if the pool closed now with the bettor's own stake in it,
that it moves; an empty pool says it has no odds), the exact return and profit after
payout with no rounded odds to contradict them; and stake errors that say what is wrong."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from tests.e2e.browser.conftest import call, signup
from tests.e2e.browser.ux_flows import CAT_SEEN, cat_market, decide, shot, stake
from tests.support.api import make_actor


@pytest.fixture
def server_config(server_config: dict[str, Any]) -> dict[str, Any]:
    return {**server_config, "dispute_window_seconds": 0}


def test_slip_is_honest_before_and_after_a_bet_and_after_payout(
    pages: Any, live_server: Any
) -> None:
    operator = make_actor(live_server.app, "operator")
    market, analysis_id = cat_market(live_server, operator, CAT_SEEN, takeout_bp=500)
    mid = market["id"]
    ana, ben = signup(live_server, "Ana"), signup(live_server, "Ben")
    page = pages.open(f"/#/markets/{mid}", token=ana["token"])
    expect(page.locator("#conn")).to_have_text("● Live")

    # An empty pool invents no odds.
    expect(page.locator("#pool-split")).to_have_text(
        "Nobody has bet yet: the pool is empty, so there are no odds yet."
    )
    for outcome in market["outcomes"]:
        tile = page.locator(f"#outcome-{mid}-{outcome['id']}")
        expect(tile.locator("[data-role=odds]")).to_have_text("no bets yet")
    page.get_by_label("YES").check()
    page.get_by_label("Stake").fill("40")
    # The case: 40 on an empty pool returns 38.00 (5% takeout), not "76.00 at 1.90x".
    expect(page.locator("#payout")).to_have_text(
        "The pool is empty, so there are no odds yet. If nobody else bets, a win on YES would"
        " return 38.00 cr (loss 2.00 cr). This estimate moves as others bet, until the market"
        " locks."
    )
    shot(page, "ux-01-bet-slip-before")
    page.get_by_role("button", name="Place wager").click()
    expect(page.locator("#balance")).to_have_text("60.00 cr")

    # Right after her bet, the slip shows the split and what another stake would return.
    expect(page.locator("#pool-split")).to_have_text("Pool now 40.00 cr: YES 100% · NO 0%.")
    stake(live_server, ben["token"], market, "NO", 2000)  # Ben backs NO: pushed live
    expect(page.locator("#pool-split")).to_have_text("Pool now 60.00 cr: YES 67% · NO 33%.")
    page.get_by_label("NO").check()
    page.get_by_label("Stake").fill("10")
    # gross 70.00, takeout 3.50, net 66.50; 66.50 x 10 / 30 = 22.166... -> 22.16
    expect(page.locator("#payout")).to_have_text(
        "If the pool closed now with your stake in it, a win on NO would return 22.16 cr"
        " (profit 12.16 cr). This estimate moves as others bet, until the market locks."
    )
    shot(page, "ux-02-bet-slip-after")

    # Settled and paid: the exact amounts from the ledger; no rounded odds beside them.
    decide(live_server, operator, market, analysis_id)
    admin = make_actor(live_server.app, "admin")
    call(live_server, "POST", "/api/admin/payouts/run", admin.token, json={})
    expect(page.locator("#paid-note")).to_be_visible()
    # gross 60.00, takeout 3.00: Ana's 40.00 returns 57.00.
    expect(page.locator("#my-result")).to_have_text(
        "You staked 40.00 cr and were returned 57.00 cr: profit 17.00 cr."
    )
    expect(page.locator("#balance")).to_have_text("117.00 cr")
    yes, no = (o["id"] for o in market["outcomes"])
    expect(page.locator(f"#outcome-{mid}-{yes} [data-role=odds]")).to_have_text("won")
    expect(page.locator(f"#outcome-{mid}-{no} [data-role=odds]")).to_have_text("lost")
    row = page.locator("#my-market-wagers tbody tr")
    expect(row.locator("td[data-label=Return]")).to_have_text("57.00 cr")
    expect(row.locator("td[data-label=Profit]")).to_have_text("+17.00 cr")
    shot(page, "ux-03-settlement-paid")


def test_stake_errors_say_what_is_wrong(pages: Any, live_server: Any) -> None:
    operator = make_actor(live_server.app, "operator")
    market, _ = cat_market(live_server, operator, CAT_SEEN, min_stake=100, max_stake=50_000)
    ana = signup(live_server, "Ana")
    page = pages.open(f"/#/markets/{market['id']}", token=ana["token"])
    alert = page.locator("#wager-error")
    place = page.get_by_role("button", name="Place wager")
    for typed, message in (
        ("", "Enter a stake: how much to bet, like 10 or 12.50."),
        ("0", "A stake must be more than 0."),
        ("abc", '"abc" is not an amount: use digits, like 10 or 12.50.'),
        ("0.50", "Stakes on this market are 1.00 cr to 500.00 cr."),
        ("150", "That is more than your balance of 100.00 cr."),
    ):
        page.get_by_label("Stake").fill(typed)
        place.click()
        expect(alert).to_have_text(message)
    shot(page, "ux-04-stake-errors")
    # The server says the balance too, to a client that skips the page's checks.
    import requests

    refused = requests.post(
        f"{live_server.url}/api/markets/{market['id']}/wagers",
        headers={"Authorization": f"Bearer {ana['token']}"},
        json={"outcome_id": market["outcomes"][0]["id"], "stake": 15_000},
        timeout=30,
    )
    assert refused.status_code == 409
    assert refused.json()["error"]["message"] == (
        "Not enough balance for that: your balance is 100.00, and this needs 150.00."
    )
