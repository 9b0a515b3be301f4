"""Upload rejections shown in words: a non-video refused in the browser before sending, and a
disguised file refused by the server with its envelope message."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import expect

from tests.e2e.browser.conftest import expect_status
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
