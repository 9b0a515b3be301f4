"""Issue 16, item 3: the dispute form leaves the page when its window runs out, without a
reload, so nobody is invited to send a dispute the server must refuse."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from tests.e2e.browser.conftest import signup
from tests.e2e.browser.ux_flows import CAT_SEEN, cat_market, decide, stake
from tests.support.api import make_actor


@pytest.fixture
def server_config(server_config: dict[str, Any]) -> dict[str, Any]:
    return {**server_config, "dispute_window_seconds": 4}


def test_the_dispute_form_goes_when_the_window_closes(pages: Any, live_server: Any) -> None:
    operator = make_actor(live_server.app, "operator")
    market, analysis_id = cat_market(live_server, operator, CAT_SEEN)
    ana, ben = signup(live_server, "Ana"), signup(live_server, "Ben")
    stake(live_server, ana["token"], market, "YES", 1000)
    stake(live_server, ben["token"], market, "NO", 1000)
    decide(live_server, operator, market, analysis_id)
    page = pages.open(f"/#/markets/{market['id']}", token=ben["token"])
    expect(page.locator("#dispute-form")).to_be_visible()
    expect(page.locator("#dispute-window")).to_contain_text("Disputes are open for")
    # No reload: the countdown runs out and the page redraws without the form.
    expect(page.locator("#dispute-form")).to_have_count(0, timeout=10_000)
    expect(page.locator("#dispute-window")).to_contain_text("Dispute window closed")
