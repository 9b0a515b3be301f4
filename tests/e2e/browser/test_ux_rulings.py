"""Issue 16, items 2, 3 and 6: after an admin rules, the engine's evidence stays beside the
ruling (who decided, when, their note); the settlement says what the market needed and
what the engine saw, frames first; the dispute form is offered only to a bettor the result
goes against, while the window is open, with a countdown, and never after payout."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.e2e.browser.conftest import signup
from tests.e2e.browser.ux_flows import CAT_SEEN, CAT_UNSURE, cat_market, decide, shot, stake
from tests.support.api import make_actor


@pytest.fixture
def server_config(server_config: dict[str, Any]) -> dict[str, Any]:
    return {**server_config, "dispute_window_seconds": 600}


def _frames_come_first(page: Any) -> bool:
    return bool(
        page.evaluate(
            """() => {
              const frames = document.querySelector('#settlement #evidence');
              const story = document.querySelector('#settlement-story');
              return Boolean(frames && story &&
                frames.compareDocumentPosition(story) & Node.DOCUMENT_POSITION_FOLLOWING);
            }"""
        )
    )


def test_a_ruling_is_recorded_beside_the_engines_evidence(pages: Any, live_server: Any) -> None:
    operator = make_actor(live_server.app, "operator")
    admin = make_actor(live_server.app, "admin")
    market, analysis_id = cat_market(live_server, operator, CAT_UNSURE)
    ana, ben = signup(live_server, "Ana"), signup(live_server, "Ben")
    stake(live_server, ana["token"], market, "YES", 2000)
    stake(live_server, ben["token"], market, "NO", 2000)
    decided = decide(live_server, operator, market, analysis_id)
    assert decided["status"] == "review"  # 65% is between the review floor and 80%

    # The admin rules from the review queue, with a note.
    ad = pages.open("/#/admin/reviews", token=admin.token)
    card = ad.locator(f"#review-{market['id']}")
    expect(card.locator("#evidence figure").first).to_contain_text("Cat 65%")
    card.get_by_label("Outcome").select_option(label="YES")
    card.get_by_label("Note for the record (optional)").fill("The cat is plain to see at 0:01.")
    card.get_by_role("button", name="Settle on the chosen outcome").click()
    expect(ad.locator("#queue-empty")).to_have_text("Nothing to review.")

    # A bettor sees the ruling and, above it, the engine's own frames and words.
    page = pages.open(f"/#/markets/{market['id']}", token=ana["token"])
    settlement = page.locator("#settlement")
    expect(settlement.locator("#settlement-outcome")).to_have_text(
        "Outcome: YES · engine confidence 65%"
    )
    expect(settlement.locator("#evidence figure")).to_have_count(3)
    expect(settlement.locator("#evidence figure").first).to_contain_text("0:01.0 · Cat 65%")
    expect(page.locator("#evidence")).to_have_attribute("data-drawn", "true")
    expect(page.locator("#settlement-story")).to_have_text(
        "YES needed a Cat at 80% or more. The engine saw a Cat at 65% at 0:01, not enough."
    )
    assert _frames_come_first(page)
    ruling = page.locator("#ruling")
    expect(ruling).to_contain_text(re.compile(rf"{admin.email.split('@')[0]} ruled YES on .+\."))
    expect(page.locator("#ruling-note")).to_have_text("The cat is plain to see at 0:01.")
    expect(ruling).to_contain_text("The engine’s evidence above is kept as it was")
    expect(settlement).not_to_contain_text("No detections were recorded")
    shot(page, "ux-05-ruling-beside-evidence")


def test_only_a_loser_may_dispute_while_the_window_is_open(pages: Any, live_server: Any) -> None:
    operator = make_actor(live_server.app, "operator")
    admin = make_actor(live_server.app, "admin")
    market, analysis_id = cat_market(live_server, operator, CAT_SEEN)
    ana, ben = signup(live_server, "Ana"), signup(live_server, "Ben")
    stake(live_server, ana["token"], market, "YES", 2000)
    stake(live_server, ben["token"], market, "NO", 2000)
    assert decide(live_server, operator, market, analysis_id)["status"] == "resolved"

    pa = pages.open(f"/#/markets/{market['id']}", token=ana["token"])
    pb = pages.open(f"/#/markets/{market['id']}", token=ben["token"])
    expect(pa.locator("#settlement-story")).to_have_text(
        "YES needed a Cat at 80% or more. The engine saw a Cat at 93% at 0:01."
    )
    assert _frames_come_first(pa)
    # The winner is not invited to dispute; the loser is, with the time left counting down.
    expect(pa.locator("#dispute-window")).to_contain_text("Disputes are open for")
    expect(pa.locator("#dispute-form")).to_have_count(0)
    expect(pb.locator("#dispute-form")).to_be_visible()
    countdown = pb.locator("#dispute-window strong")
    expect(countdown).to_have_text(re.compile(r"^(9|10) min \d\d s$"))
    first = countdown.inner_text()
    expect(countdown).not_to_have_text(first)  # it ticks
    shot(pb, "ux-06-dispute-loser-countdown")
    pb.get_by_label("Reason for your dispute").fill("That cat is a photo on a wall.")
    pb.get_by_role("button", name="Dispute this result").click()
    expect(pb.locator("#market-status")).to_have_text("disputed")
    expect(pb.locator("#dispute-form")).to_have_count(0)

    # The admin upholds: paid at once; the form never comes back (no 409 to be had).
    ad = pages.open("/#/admin/reviews", token=admin.token)
    ad.locator(f"#review-{market['id']}").get_by_role("button", name="Uphold “YES”").click()
    expect(ad.locator("#queue-empty")).to_have_text("Nothing to review.")
    expect(pb.locator("#paid-note")).to_be_visible()
    expect(pb.locator("#dispute-form")).to_have_count(0)
    expect(pb.locator("#my-result")).to_have_text(
        "You staked 20.00 cr and were returned 0.00 cr: loss 20.00 cr."
    )
    expect(pb.locator("#ruling")).to_contain_text("upheld the result")
    shot(pb, "ux-07-after-payout-no-dispute")
