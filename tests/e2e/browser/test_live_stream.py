"""The live page in Chromium against a real live HLS stream (1 s segments written by PyAV
in real time): the operator adds the stream in the page, the latest picture appears, the
cat's label arrives in the ticker and the timeline without a reload, and when the source
drops the page shows `reconnecting`, then `live` again once it is back."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from streambet import create_app
from streambet.worker import LiveJobs
from tests.e2e.browser.conftest import LiveServer, serve
from tests.support import databases
from tests.support.api import make_actor
from tests.support.live import prepared_model_dir
from tests.support.live_hls import live_hls

pytestmark = pytest.mark.slow


@pytest.fixture
def stream_server(tmp_path: Path) -> Iterator[LiveServer]:
    models = prepared_model_dir()
    with databases.sqlite_database(tmp_path) as url:
        app = create_app(
            {
                "env": "test",
                "data_dir": str(tmp_path / "var"),
                "queue_backend": "memory",
                "embedded_worker": False,
                "analysis_backend": "fake",
                "database_url": url,
                "model_dir": str(models),
                "job_lease_seconds": 5,
                "live_open_timeout_seconds": 2,
                "live_read_timeout_seconds": 2,
            }
        )
        jobs = LiveJobs(app.extensions["streambet"], 1)
        stop = threading.Event()

        def claim() -> None:
            while not stop.wait(0.5):
                jobs.tick()

        claimer = threading.Thread(target=claim, daemon=True)
        claimer.start()
        try:
            yield from serve(app)
        finally:
            stop.set()
            claimer.join(5)
            jobs.stop(30)
            app.extensions["streambet"].close()


@pytest.fixture
def live_server(stream_server: LiveServer) -> LiveServer:
    return stream_server  # the `pages` fixture opens pages on `live_server`


def test_live_page_shows_labels_and_reconnecting(
    pages: Any, live_server: LiveServer, tmp_path: Path, screenshot: Any
) -> None:
    operator = make_actor(live_server.app, "operator")
    with live_hls(tmp_path, [("black", 2), ("chelsea", 180)]) as source:
        page = pages.open("/#/streams", token=operator.token)
        expect(page.locator("#conn")).to_have_text("● Live")
        page.locator("#stream-name").fill("Cat cam")
        page.locator("#stream-url").fill(source.url)
        page.get_by_role("button", name="Start following").click()
        expect(page.locator("h1")).to_have_text("Cat cam")
        url_before = page.url
        expect(page.locator("#stream-status")).to_have_text("live", timeout=60_000)
        expect(page.locator("#stream-ticker li[data-label=Cat]").first).to_be_visible(
            timeout=60_000
        )
        # exactly Cat: the classifier may add a Tiger Cat lane of its own
        cat_lane = page.locator("#stream-timeline .live-label", has_text=re.compile(r"^Cat$"))
        expect(cat_lane).to_be_visible()
        expect(page.locator("#stream-frame")).to_have_attribute("src", _blob())
        assert page.url == url_before  # no reload, no navigation
        screenshot(page, "live-stream")

        source.drop()
        expect(page.locator("#stream-status")).to_have_text("reconnecting", timeout=30_000)
        expect(page.locator("#stream-reason")).to_contain_text("source lost")
        source.restore()
        expect(page.locator("#stream-status")).to_have_text("live", timeout=60_000)


def _blob() -> Any:
    import re

    return re.compile(r"^blob:")
