"""Canceling a running analysis from the upload page: the engine stops at its next sample
and the page says so, live."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from playwright.sync_api import expect

from tests.e2e.browser.conftest import call
from tests.support.api import make_actor


def test_running_analysis_is_canceled_from_the_page(
    pages: Any, engine_server: Any, tmp_path: Path
) -> None:
    from tests.support.clips import make_clip

    # Long enough (40 s of footage) that the engine is still running when Cancel is pressed.
    clip = make_clip(
        tmp_path / "long.mp4",
        [("coffee", 10), ("chelsea", 10), ("astronaut", 10), ("rocket", 10)],
        fps=5,
        size=(320, 180),
    )
    operator = make_actor(engine_server.app, "operator")
    page = pages.open("/#/upload", token=operator.token)
    expect(page.locator("#conn")).to_have_text("● Live")
    page.locator("#file-input").set_input_files(str(clip))
    expect(page.locator("#upload-detail")).to_have_text(
        re.compile(r"Analysing: \d+%"), timeout=60_000
    )
    page.get_by_role("button", name="Cancel analysis").click()
    expect(page.locator("#analysis-status")).to_have_text("canceled", timeout=30_000)
    expect(page.locator("#upload-detail")).to_have_text("The analysis was canceled.")
    items = call(engine_server, "GET", "/api/analyses", operator.token)["items"]
    assert [a["status"] for a in items] == ["canceled"]
