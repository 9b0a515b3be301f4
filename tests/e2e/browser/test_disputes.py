"""A dispute inside the window and the admin's review queue: the loser disputes the
evidence, the admin sees the evidence beside the complaint and overturns, and the pool
goes to the other side."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.e2e.browser.conftest import assert_labelled, call, label_market, signup, upload
from tests.support.api import make_actor


@pytest.fixture
def engine_overrides() -> dict[str, Any]:
    # The market opens on footage analysed first (disputes are the point here, not the
    # order; the default order is test_full_flow's), so bettors are told.
    return {"dispute_window_seconds": 600, "markets_on_analysed_footage": "disclose"}


def test_dispute_then_admin_overturns_from_the_review_queue(
    pages: Any, engine_server: Any, photo_clip: Path, screenshot: Any
) -> None:
    operator = make_actor(engine_server.app, "operator")
    admin = make_actor(engine_server.app, "admin")
    ana, ben = signup(engine_server, "Ana"), signup(engine_server, "Ben")
    done = upload(engine_server, operator.token, photo_clip)
    # a label the local engine settles on by itself (measured), seen clearly
    market = label_market(
        engine_server, operator.token, done["job_id"], "Will a face appear in the clip?", "Face"
    )
    mid = market["id"]
    yes, no = (o["id"] for o in market["outcomes"])
    for who, outcome in ((ana, yes), (ben, no)):
        call(
            engine_server,
            "POST",
            f"/api/markets/{mid}/wagers",
            who["token"],
            json={"outcome_id": outcome, "stake": 2000},
        )
    call(engine_server, "POST", f"/api/markets/{mid}/lock", operator.token)
    call(engine_server, "POST", f"/api/markets/{mid}/settle", operator.token)

    # Ben lost on the evidence and disputes it inside the window.
    pb = pages.open(f"/#/markets/{mid}", token=ben["token"])
    pa = pages.open(f"/#/markets/{mid}", token=ana["token"])
    for page in (pa, pb):
        expect(page.locator("#conn")).to_have_text("● Live")
    expect(pb.locator("#settlement-outcome")).to_contain_text("Outcome: YES")
    expect(pb.locator("#settlement")).to_contain_text("Disputes are open for")
    pb.get_by_role("button", name="Dispute this result").click()
    expect(pb.get_by_role("alert")).to_have_text("Say what you think the evidence got wrong.")
    pb.get_by_label("Reason for your dispute").fill("That is a photo of a photo, not a face.")
    pb.get_by_role("button", name="Dispute this result").click()
    expect(pb.locator("#market-status")).to_have_text("disputed")
    expect(pa.locator("#market-status")).to_have_text("disputed")  # pushed live

    # The admin's queue: evidence beside the complaint.
    ad = pages.open("/#/admin/reviews", token=admin.token)
    card = ad.locator(f"#review-{mid}")
    expect(card).to_contain_text("That is a photo of a photo, not a face.")
    expect(card.locator("#evidence figure").first).to_contain_text("Face")
    # The server keeps no video: the admin's browser draws the frames from a local copy.
    card.get_by_label("Show the pictures from a local copy of the clip").set_input_files(
        str(photo_clip)
    )
    expect(card.locator("#evidence")).to_have_attribute("data-drawn", "true")
    centre = card.locator("#evidence canvas").first.evaluate(
        "c => Array.from(c.getContext('2d').getImageData(160, 120, 1, 1).data.slice(0, 3))"
    )
    assert sum(centre) > 60, centre  # the astronaut, not the blank frame
    screenshot(ad, "30-admin-review-queue")
    assert_labelled(ad)
    card.get_by_label("Outcome").select_option(label="NO")
    card.get_by_role("button", name="Overturn to the chosen outcome").click()
    expect(ad.locator("#queue-empty")).to_have_text("Nothing to review.")

    # Overturned to NO and paid at once: Ben takes the net pool, 38.00 of 40.00.
    expect(pb.locator("#balance")).to_have_text("118.00 cr")
    expect(pa.locator("#balance")).to_have_text("80.00 cr")
    expect(pb.locator("#settlement-outcome")).to_contain_text("Outcome: NO")
    screenshot(pb, "31-dispute-overturned")
