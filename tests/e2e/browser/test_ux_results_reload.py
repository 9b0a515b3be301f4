"""Issue 16, item 7: an analysis reopened without the local file shows what the server
kept: the stored evidence frames as a filmstrip (no empty player, no boxes over black, no
demand for the file), or the kept video itself when the deployment keeps uploads."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from tests.e2e.browser.ux_flows import CAT_SEEN, clip_bytes, shot
from tests.support.api import make_actor, upload


@pytest.fixture(params=[False, True], ids=["frames-only", "uploads-kept"])
def server_config(request: pytest.FixtureRequest, server_config: dict[str, Any]) -> dict[str, Any]:
    return {**server_config, "keep_uploads": request.param}


def test_reopened_results_show_what_the_server_kept(
    pages: Any, live_server: Any, server_config: dict[str, Any]
) -> None:
    operator = make_actor(live_server.app, "operator")
    analysis_id = upload(live_server.app, operator, clip_bytes(), CAT_SEEN)
    page = pages.open(f"/#/analyses/{analysis_id}", token=operator.token)
    expect(page.locator("#lanes")).to_contain_text("Cat")

    if server_config["keep_uploads"]:
        # The kept upload plays in the player; the boxes come with its picture.
        expect(page.locator(".player")).to_be_visible()
        # A function, not an expression: Playwright evals a bare expression in the page,
        # which the app's CSP (no 'unsafe-eval') refuses.
        page.wait_for_function("() => document.querySelector('#player').readyState >= 2")
        assert page.locator("#player").evaluate("v => v.videoWidth") > 0
        expect(page.locator("#filmstrip")).to_have_count(0)
        expect(page.locator("#local-copy")).to_have_count(0)
        shot(page, "ux-19-results-reopened-video-kept")
        return

    # Frames only: a filmstrip of real stills, and no player drawing boxes over black.
    strip = page.locator("#filmstrip")
    expect(strip).to_have_attribute("data-loaded", "true")
    stills = strip.locator(".film-frame img")
    expect(stills).to_have_count(5)  # the cat at 1.0, 1.5, 2.0, 2.5 and 3.0 s
    assert all(w > 0 for w in stills.evaluate_all("imgs => imgs.map((i) => i.naturalWidth)"))
    expect(page.locator(".player")).to_be_hidden()
    expect(page.locator("#overlay .box")).to_have_count(0)
    # The file is not asked for again: offering it waits folded away.
    expect(page.locator("#local-copy")).to_be_hidden()
    # A still moves the timeline there and names what was seen then.
    strip.locator(".film-frame").nth(1).click()
    expect(page.locator("#now-labels")).to_have_text("At 0:01.5: Cat 93%")
    expect(page.locator("#overlay .box")).to_have_count(0)
    shot(page, "ux-18-results-reopened-filmstrip")
