"""Issue 16, item 9, at phone size: the wagers table keeps its payout columns on screen,
the operator's header takes two rows, a wager on a market in review says so (not OPEN),
and a settlement shows its best few evidence frames with the rest on demand."""

from __future__ import annotations

import itertools
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.e2e.browser.conftest import call, signup
from tests.e2e.browser.ux_flows import CAT_SEEN, CAT_UNSURE, cat_market, decide, shot, stake
from tests.support.api import make_actor

PHONE = {"width": 390, "height": 844}


@pytest.fixture
def server_config(server_config: dict[str, Any]) -> dict[str, Any]:
    return {**server_config, "dispute_window_seconds": 0}


def _rows(page: Any, *selectors: str) -> int:
    """How many rows the header's parts sit on (by their vertical middles)."""
    middles = sorted(
        (b := page.locator(s).bounding_box())["y"] + b["height"] / 2 for s in selectors
    )
    return 1 + sum(1 for a, b in itertools.pairwise(middles) if b - a > 12)


def test_phone_pages(pages: Any, live_server: Any) -> None:
    operator = make_actor(live_server.app, "operator")
    admin = make_actor(live_server.app, "admin")
    paid, paid_clip = cat_market(live_server, operator, CAT_SEEN, question="Cat, paid?")
    unsure, unsure_clip = cat_market(live_server, operator, CAT_UNSURE, question="Cat, unsure?")
    ana, ben = signup(live_server, "Ana"), signup(live_server, "Ben")
    for market in (paid, unsure):
        stake(live_server, ana["token"], market, "YES", 1234)
        stake(live_server, ben["token"], market, "NO", 1000)
    decide(live_server, operator, paid, paid_clip)
    call(live_server, "POST", "/api/admin/payouts/run", admin.token, json={})
    assert decide(live_server, operator, unsure, unsure_clip)["status"] == "review"

    # The wagers page: every column of a paid wager fits the screen.
    page = pages.open("/#/wagers", token=ana["token"], viewport=PHONE)
    settled = page.locator("#settled-wagers tbody tr")
    expect(settled).to_have_count(1)
    # gross 22.34, takeout 1.11, net 21.23, all to Ana's 12.34
    expect(settled.locator("td[data-label=Return]")).to_have_text("21.23 cr")
    expect(settled.locator("td[data-label=Profit]")).to_have_text("+8.89 cr")
    for label in ("Return", "Profit", "Status"):
        box = settled.locator(f"td[data-label={label}]").bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"], (label, box)
    # The wager on the market in review is still open, and says why.
    waiting = page.locator("#open-wagers tbody tr")
    expect(waiting).to_have_count(1)
    expect(waiting.locator(".status-pill")).to_have_text("in review")
    shot(page, "ux-15-phone-wagers")

    # A settlement: three best frames, the other two on demand.
    page.goto(f"/#/markets/{paid['id']}")
    frames = page.locator("#settlement #evidence figure")
    expect(frames).to_have_count(3)
    page.get_by_role("button", name="Show 2 more frames").click()
    expect(frames).to_have_count(5)
    expect(page.locator("#evidence")).to_have_attribute("data-drawn", "true")
    shot(page, "ux-16-phone-settlement")

    # The operator's header: two rows, not three.
    op = pages.open("/#/markets", token=operator.token, viewport=PHONE)
    shot(op, "ux-17-phone-operator-header")
    assert _rows(op, ".brand", ".mainnav", "#logout") == 2
    assert op.locator(".topbar").bounding_box()["height"] < 120
    # Nothing pushes the page sideways.
    assert op.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
