"""The results view on a real analysis: clicking a label bar seeks the video there, the
current frame shows its boxes, filters narrow the lanes, and the JSON downloads."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from playwright.sync_api import expect

from tests.e2e.browser.conftest import upload
from tests.support.api import make_actor


def test_timeline_bars_seek_the_video_and_show_the_boxes(
    pages: Any, engine_server: Any, photo_clip: Path, screenshot: Any
) -> None:
    operator = make_actor(engine_server.app, "operator")
    done = upload(engine_server, operator.token, photo_clip)
    page = pages.open(f"/#/analyses/{done['job_id']}", token=operator.token)
    # This browser did not upload the clip: it plays a local copy, nothing is sent again.
    page.get_by_label("Play a local copy of this clip").set_input_files(str(photo_clip))
    video = page.locator("#player")
    expect(video).to_have_js_property("readyState", 4)

    # The cat holds from 2.0 s to 5.0 s: its bar seeks the video to 2.0 s.
    cat_bar = page.locator("li.lane[data-lane='Cat'] .bar").first
    expect(cat_bar).to_have_attribute("data-start", "2000")
    # The page read the analysis once, as the timeline; other shapes wait for a download.
    fetched = page.evaluate("performance.getEntriesByType('resource').map(e => e.name)")
    analysis_url = f"{engine_server.url}/api/analyses/{done['job_id']}"
    reads = [u for u in fetched if u == analysis_url or u.startswith(analysis_url + "?")]
    assert reads == [analysis_url + "?format=timeline"]
    cat_bar.click()
    expect(video).to_have_js_property("currentTime", 2)
    expect(page.locator("#now-labels")).to_contain_text("Cat")

    # Keyboard: the face bar is a button; Enter seeks to the astronaut and her face is boxed.
    face_bar = page.locator("li.lane[data-lane='Face'] .bar").first
    face_bar.focus()
    page.keyboard.press("Enter")
    start_s = int(face_bar.get_attribute("data-start") or 0) / 1000
    assert start_s >= 5.0
    expect(video).to_have_js_property("currentTime", start_s)
    face_box = page.locator("#overlay .box", has_text="Face")
    expect(face_box).to_be_visible()
    # The box sits inside the picture, in the upper half where the astronaut's face is.
    # Found and measured in one script run: the overlay redraws its boxes whenever the video
    # time changes, so a box element found by one call can be detached (measuring all zeros)
    # by the time the next call measures it (seen in CI, and again on a busy machine).
    box, frame = page.evaluate(
        """() => {
          const overlay = document.querySelector('#overlay');
          const boxes = [...overlay.querySelectorAll('.box')];
          const face = boxes.find((b) => /Face/.test(b.textContent));
          return [face.getBoundingClientRect().toJSON(), overlay.getBoundingClientRect().toJSON()];
        }"""
    )
    assert frame["x"] <= box["x"] and box["x"] + box["width"] <= frame["x"] + frame["width"] + 1
    assert box["y"] + box["height"] / 2 < frame["y"] + frame["height"] / 2
    screenshot(page, "20-timeline-seek-face")

    # Filters: one category, then a confidence floor above every label.
    page.get_by_label("Category").select_option("Animals and Pets")
    lanes = page.locator("li.lane[data-lane]")
    expect(page.locator("li.lane[data-lane='Cat']")).to_be_visible()
    expect(page.locator("li.lane[data-lane='Face']")).to_have_count(0)
    names = [n for n in lanes.evaluate_all("els => els.map(e => e.dataset.lane)") if n != "Shots"]
    assert names and "Coffee" not in names
    page.get_by_label("Show shots and on-screen text").uncheck()
    expect(page.locator("li.lane[data-lane='Shots']")).to_have_count(0)
    page.locator("#filter-confidence").fill("100")
    expect(page.locator("#lanes")).to_contain_text("No labels match these filters.")

    # Usable at phone width: nothing runs off the side.
    page.set_viewport_size({"width": 390, "height": 844})
    page.locator("#filter-confidence").fill("50")
    expect(page.locator("li.lane[data-lane='Cat']")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    screenshot(page, "21-timeline-phone")
    page.set_viewport_size({"width": 1280, "height": 860})

    # The result downloads in Rekognition's shape.
    with page.expect_download() as download:
        page.get_by_role("button", name="Download JSON (Rekognition)").click()
    data = json.loads(Path(download.value.path()).read_text())
    assert data["JobStatus"] == "SUCCEEDED"
    assert any(item["Label"]["Name"] == "Cat" for item in data["Labels"])
