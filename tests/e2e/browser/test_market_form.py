"""The operator's market form beyond "a label is seen": how many at once, for how long,
where in the frame, words said on the sound track and text shown on screen. What the form
sends is what the market stores."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.e2e.browser.conftest import assert_labelled, call, upload
from tests.support.api import make_actor

SCRIPT = [{"name": "Cat", "start_ms": 0, "end_ms": 3000, "confidence": 95}]
CAT_AND_DOG = [*SCRIPT, {"name": "Dog", "start_ms": 4000, "end_ms": 6000, "confidence": 91}]


@pytest.fixture
def server_config(server_config: dict[str, Any]) -> dict[str, Any]:
    """The form on an analysis' results page opens markets on footage the engine has seen:
    allowed here with the disclosure (the default refuses it; test_full_flow opens a market
    on held footage instead)."""
    return {**server_config, "markets_on_analysed_footage": "disclose"}


def _form_page(
    pages: Any, server: Any, clip: Path, script: list[dict[str, Any]] = SCRIPT
) -> tuple[str, Any]:
    """An operator's token and their results page, with the market form, for a fresh
    analysis of `clip` on which the fake engine reports `script`."""
    token = make_actor(server.app, "operator").token
    options = json.dumps({"extra": {"fake_labels": script}})
    done = upload(server, token, clip, data={"options": options})
    return token, pages.open(f"/#/analyses/{done['job_id']}", token=token)


def _created(server: Any, token: str, page: Any) -> dict[str, Any]:
    expect(page).to_have_url(re.compile(r"#/markets/\d+$"))
    market_id = page.url.rsplit("/", 1)[-1]
    market: dict[str, Any] = call(server, "GET", f"/api/markets/{market_id}", token)
    return market


def test_count_duration_and_region_reach_the_market(
    pages: Any, live_server: Any, photo_clip: Path
) -> None:
    token, page = _form_page(pages, live_server, photo_clip)
    page.get_by_label("Question").fill("Two cats on the left for a second?")
    page.get_by_label("Label (from the taxonomy)").select_option("Cat")
    page.get_by_label("At least this many at once").fill("2")
    page.get_by_label("Seen for at least (s)").fill("1.5")
    page.get_by_label("Where in the frame").select_option("left")
    assert_labelled(page)
    page.get_by_role("button", name="Open market").click()

    market = _created(live_server, token, page)
    criteria = market["outcomes"][0]["criteria"]
    assert criteria["label"] == "Cat"
    assert criteria["min_count"] == 2
    assert criteria["min_duration_ms"] == 1500
    assert criteria["region"] == {"left": 0, "top": 0, "width": 0.5, "height": 1}
    assert market["outcomes"][1]["criteria"] is None


def test_a_spoken_market_from_the_form(
    pages: Any, live_server: Any, photo_clip: Path, screenshot: Any
) -> None:
    token, page = _form_page(pages, live_server, photo_clip)
    page.get_by_label("Question").fill("Will the commentator say goal?")
    page.get_by_label("Condition").select_option("spoken")
    expect(page.get_by_label("Label (from the taxonomy)")).to_be_hidden()
    expect(page.get_by_label("Minimum confidence (0–100)")).to_have_value("50")

    # seven words are more than a phrase: refused in the form, nothing sent
    page.get_by_label("Words said (up to 6)").fill("one two three four five six seven")
    page.get_by_role("button", name="Open market").click()
    expect(page.locator("#market-error")).to_contain_text("1 to 6 words")

    page.get_by_label("Words said (up to 6)").fill("  What a   GOAL ")
    screenshot(page, "20-market-form-spoken")
    page.get_by_role("button", name="Open market").click()
    market = _created(live_server, token, page)
    criteria = market["outcomes"][0]["criteria"]
    assert criteria["spoken"] == "what a goal"  # the server stores the normalised phrase
    assert criteria["min_confidence"] == 50
    assert "label" not in criteria and "min_count" not in criteria


def test_a_text_market_from_the_form(pages: Any, live_server: Any, photo_clip: Path) -> None:
    token, page = _form_page(pages, live_server, photo_clip)
    page.get_by_label("Question").fill("Will the score appear?")
    page.get_by_label("Condition").select_option("text")
    expect(page.get_by_label("Label (from the taxonomy)")).to_be_hidden()
    page.get_by_role("button", name="Open market").click()
    expect(page.locator("#market-error")).to_contain_text("Write the text")
    page.get_by_label("Text shown (a word or phrase)").fill(" SCORE: ")
    assert_labelled(page)
    page.get_by_role("button", name="Open market").click()
    criteria = _created(live_server, token, page)["outcomes"][0]["criteria"]
    assert criteria["text"] == "score" and criteria["min_confidence"] == 80


def test_switching_back_to_a_label_restores_its_confidence_default(
    pages: Any, live_server: Any, photo_clip: Path
) -> None:
    token, page = _form_page(pages, live_server, photo_clip)
    confidence = page.get_by_label("Minimum confidence (0–100)")
    page.get_by_label("Condition").select_option("spoken")
    page.get_by_label("Condition").select_option("label")
    expect(confidence).to_have_value("80")
    confidence.fill("65")  # typed by the operator: kept across switches
    page.get_by_label("Condition").select_option("spoken")
    expect(confidence).to_have_value("65")
    page.get_by_label("Condition").select_option("label")
    page.get_by_label("Question").fill("Anything?")
    page.get_by_role("button", name="Open market").click()
    expect(page.locator("#market-error")).to_contain_text("Choose the label")
    assert call(live_server, "GET", "/api/markets", token)["items"] == []


def test_several_outcomes_each_with_its_own_label(
    pages: Any, live_server: Any, photo_clip: Path, screenshot: Any
) -> None:
    token, page = _form_page(pages, live_server, photo_clip, CAT_AND_DOG)
    page.get_by_label("Question").fill("Which animal shows up?")
    page.get_by_label("Outcomes").select_option("several")
    expect(page.get_by_label("Condition")).to_be_hidden()
    page.get_by_label("Label for outcome 1").select_option("Cat")
    expect(page.get_by_label("Outcome 1", exact=True)).to_have_value("Cat")  # follows the label
    page.get_by_label("Label for outcome 2").select_option("Cat")
    page.get_by_role("button", name="Open market").click()
    expect(page.locator("#market-error")).to_contain_text("a label of its own")

    page.get_by_label("Label for outcome 2").select_option("Dog")
    page.get_by_label("Outcome 2", exact=True).fill("A dog")  # typed: kept
    page.get_by_role("button", name="Add an outcome").click()
    page.get_by_role("button", name="Remove outcome 3").click()
    expect(page.get_by_role("button", name="Remove outcome 1")).to_be_disabled()  # two at least
    page.get_by_label("Outcome when none is seen").fill("Neither")
    assert_labelled(page)
    screenshot(page, "22-market-form-several")
    page.get_by_role("button", name="Open market").click()

    market = _created(live_server, token, page)
    outcomes = [(o["title"], o["criteria"]) for o in market["outcomes"]]
    assert [t for t, _ in outcomes] == ["Cat", "A dog", "Neither"]
    assert [c["label"] if c else None for _, c in outcomes] == ["Cat", "Dog", None]
    assert outcomes[0][1]["min_confidence"] == 80
