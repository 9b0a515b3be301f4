"""The whole product in a real browser, under the default fairness policy: an operator
uploads real footage held for betting (the engine has not looked at it), opens a market on
it; two bettors in two browsers bet on opposite outcomes and see each other's stakes move
the odds; the operator locks it, the engine analyses the clip then (its progress live), the
market settles from the evidence and the balances change by exactly the pari-mutuel
amounts. Every page runs under the app's Content-Security-Policy: a violation is a console
error, which fails the test."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.e2e.browser.conftest import assert_labelled, signup
from tests.support.api import make_actor

ANALYSIS_TIMEOUT_MS = 180_000  # the real engine on a shared 2-core machine


def _odds(page: Any, market_id: str, outcome_id: int) -> Any:
    return page.locator(f"#outcome-{market_id}-{outcome_id} [data-role=odds]")


def _pool(page: Any, market_id: str, outcome_id: int) -> Any:
    return page.locator(f"#outcome-{market_id}-{outcome_id} [data-role=pool]")


@pytest.fixture
def engine_overrides() -> dict[str, Any]:
    """This flow runs as `streambet serve` does: the consumer locks, settles and pays."""
    return {"betting_sweep_seconds": 0.5}


def test_upload_analyse_bet_settle_and_pay(
    pages: Any, engine_server: Any, photo_clip: Path, screenshot: Any
) -> None:
    operator = make_actor(engine_server.app, "operator")
    ana, ben = signup(engine_server, "Ana"), signup(engine_server, "Ben")

    # --- the operator uploads the clip held for betting, and opens a market on it -------
    op = pages.open("/#/upload", token=operator.token)
    progress_frames: list[dict[str, Any]] = []

    def on_socket(ws: Any) -> None:
        def on_frame(payload: Any) -> None:
            message = json.loads(payload)
            if message.get("topic") == "analysis.progress":
                progress_frames.append(message["payload"])

        ws.on("framereceived", on_frame)

    op.on("websocket", on_socket)
    op.reload()
    expect(op.locator("#conn")).to_have_text("● Live")
    op.get_by_label("Open markets on it before the engine looks", exact=False).check()
    op.locator("#file-input").set_input_files(str(photo_clip))
    expect(op.locator("#upload-phase")).to_have_text("Held for its markets")
    screenshot(op, "10-upload-held")
    op.get_by_role("link", name="Open markets on it").click()
    expect(op.locator("#held-notice")).to_contain_text("the engine has not looked")
    assert_labelled(op)
    op.get_by_label("Question").fill("Will a face appear in the clip?")
    # a label the local engine settles on by itself (measured); the astronaut's face
    op.get_by_label("Label (from the taxonomy)").fill("Face")
    screenshot(op, "11-market-on-held-footage")
    op.get_by_role("button", name="Open market").click()
    expect(op.locator("#market-question")).to_have_text("Will a face appear in the clip?")
    expect(op.locator("#market-disclosure")).to_have_count(0)  # opened before analysis
    market_id = op.url.rsplit("/", 1)[-1]
    yes_id = int(op.locator(".outcome").nth(0).get_attribute("data-outcome") or 0)
    no_id = int(op.locator(".outcome").nth(1).get_attribute("data-outcome") or 0)
    assert not progress_frames or {f["status"] for f in progress_frames} <= {"held"}

    # --- two bettors, two browsers, opposite outcomes, live odds ---------------------------
    pa = pages.open(f"/#/markets/{market_id}", token=ana["token"])
    pb = pages.open(f"/#/markets/{market_id}", token=ben["token"])
    for page in (pa, pb):
        expect(page.locator("#conn")).to_have_text("● Live")
        expect(page.locator("#balance")).to_have_text("100.00 cr")

    pa.get_by_label("Yes").check()
    pa.get_by_label("Stake").fill("30")
    pa.get_by_role("button", name="Place wager").click()
    expect(pa.locator("#balance")).to_have_text("70.00 cr")
    expect(_pool(pb, market_id, yes_id)).to_have_text("30.00 cr staked")  # Ben sees it live

    pb.get_by_label("No").check()
    pb.get_by_label("Stake").fill("10")
    pb.get_by_role("button", name="Place wager").click()
    expect(pb.locator("#balance")).to_have_text("90.00 cr")
    # Pool 40.00, takeout 5%: net 38.00; YES 38/30 = 1.27, NO 38/10 = 3.80, live on all pages.
    for page in (pa, pb, op):
        expect(_pool(page, market_id, no_id)).to_have_text("10.00 cr staked")
        expect(_odds(page, market_id, yes_id)).to_have_text("1.27×")
        expect(_odds(page, market_id, no_id)).to_have_text("3.80×")
    screenshot(pb, "12-market-two-bettors")
    assert_labelled(pb)

    # --- lock; the consumer's sweep starts the analysis, then settles from its evidence ----
    op.get_by_role("button", name="Lock betting").click()
    expect(pa.locator("#bet-slip")).to_have_count(0)  # locked, pushed to the bettors
    expect(op.locator("#market-status")).to_have_text("resolved", timeout=ANALYSIS_TIMEOUT_MS)
    # The engine ran only now, its progress pushed over the operator's socket as it went.
    running = [f["progress"] for f in progress_frames if f["status"] == "running"]
    assert any(0 < p < 100 for p in running), progress_frames
    assert "succeeded" in [f["status"] for f in progress_frames]
    outcome = op.locator("#settlement-outcome")
    expect(outcome).to_contain_text("Outcome: Yes")
    confidence = float(outcome.inner_text().split("confidence ")[1].rstrip("%"))
    assert confidence >= 80
    evidence = op.locator("#evidence figure")
    expect(evidence.first).to_be_visible()
    expect(evidence.first.locator("figcaption")).to_contain_text("Face")
    expect(pa.locator("#settlement-outcome")).to_contain_text("Outcome: Yes")
    screenshot(op, "13-settlement-evidence")
    # Ben never had the clip: his evidence pictures are the frames the server stored.
    expect(pb.locator("#evidence[data-drawn=true]")).to_have_count(1)
    screenshot(pb, "13b-settlement-evidence-bettor")

    # --- paid by the same sweep once the (zero-length) dispute window has closed ------------
    # Ana had the only YES stake: she gets the whole net pool, 38.00 (100 - 30 + 38).
    expect(pa.locator("#balance")).to_have_text("108.00 cr")
    expect(pb.locator("#balance")).to_have_text("90.00 cr")
    pa.get_by_role("link", name="My wagers").click()
    settled = pa.locator("#settled-wagers")
    expect(settled).to_contain_text("won")
    expect(settled).to_contain_text("38.00 cr")
    screenshot(pa, "14-wagers-settled")
