"""Upload rejections shown in words: a non-video refused in the browser before sending, and a
disguised file refused by the server with its envelope message."""

from __future__ import annotations

import re
from typing import Any

from playwright.sync_api import expect

from tests.e2e.browser.conftest import assert_labelled, call, expect_status
from tests.support.api import make_actor


def test_non_video_is_refused_with_a_message(pages: Any, live_server: Any, screenshot: Any) -> None:
    operator = make_actor(live_server.app, "operator")
    page = pages.open("/#/upload", token=operator.token)
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url) if "/api/analyze" in r.url else None)

    # Checked in the browser: nothing is sent.
    page.locator("#file-input").set_input_files(
        {"name": "notes.txt", "mimeType": "text/plain", "buffer": b"not a video at all\n"}
    )
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("“notes.txt” is not a video we can analyse")
    assert requests == []
    screenshot(page, "04-upload-rejected")
    assert_labelled(page)

    # A text file named like a video passes the browser's check; the server probes it and
    # refuses it, and the page shows the server's sentence.
    expect_status(page, 400, 415)
    page.locator("#file-input").set_input_files(
        {"name": "holiday.mp4", "mimeType": "video/mp4", "buffer": b"this is not an mp4\n" * 64}
    )
    expect(page.locator("#progress-card")).to_be_hidden()
    expect(alert).to_be_visible()
    text = alert.inner_text()
    assert "not a video" in text and "undefined" not in text and "Traceback" not in text
    assert len(requests) == 1
    screenshot(page, "05-upload-rejected-by-server")


def test_upload_progress_shows_bytes_and_speed_and_cancels(
    pages: Any, live_server: Any, photo_clip: Any, screenshot: Any
) -> None:
    operator = make_actor(live_server.app, "operator")
    page = pages.open("/#/upload", token=operator.token)
    # A slow uplink (8 KB/s) so the upload is watched and canceled half way.
    cdp = page.context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send(
        "Network.emulateNetworkConditions",
        {"offline": False, "latency": 0, "downloadThroughput": -1, "uploadThroughput": 8 * 1024},
    )
    page.locator("#file-input").set_input_files(str(photo_clip))
    progress = page.get_by_role("progressbar")
    expect(progress).to_be_visible()
    expect(page.locator("#upload-detail")).to_contain_text(
        re.compile(r"\d+(\.\d)? KB of 109\.\d KB · \d+(\.\d)? KB/s")
    )
    screenshot(page, "09-upload-progress")
    page.get_by_role("button", name="Cancel upload").click()
    expect(page.locator("#upload-phase")).to_have_text("Upload canceled")
    expect(page.locator("#analysis-status")).to_have_text("canceled")
    # Nothing reached the server as an analysis.
    assert call(live_server, "GET", "/api/analyses", operator.token) == {"items": []}
