"""Issue 16, item 8: markets carry their context (the footage's thumbnail once betting has
closed, the settlement rule in plain words, the closing time with a countdown, the
creator), and identical questions are told apart in the list and the review queue."""

from __future__ import annotations

import re
import time
from typing import Any

from playwright.sync_api import expect

from tests.e2e.browser.ux_flows import CAT_UNSURE, cat_market, decide, shot
from tests.support.api import make_actor


def test_markets_carry_context_and_equal_questions_are_told_apart(
    pages: Any, live_server: Any
) -> None:
    olga = make_actor(live_server.app, "operator", "olga@example.test")
    oscar = make_actor(live_server.app, "operator", "oscar@example.test")
    admin = make_actor(live_server.app, "admin")
    closes = int(time.time() * 1000) + 3_600_000
    first, first_clip = cat_market(live_server, olga, CAT_UNSURE, closes_at_ms=closes)
    second, second_clip = cat_market(live_server, oscar, CAT_UNSURE)

    page = pages.open("/#/markets", token=admin.token)
    for market, creator in ((first, "olga"), (second, "oscar")):
        card = page.locator(f"#market-{market['id']}")
        expect(card).to_contain_text("Will a Cat appear?")
        expect(card.locator(".meta")).to_contain_text(f"Market #{market['id']} · by {creator}")
    countdown = page.locator(f"#market-{first['id']} #market-closes strong")
    expect(countdown).to_have_text(re.compile(r"^(59 min \d\d s|1 h 00 min)$"))
    expect(page.locator(f"#market-{second['id']}")).to_contain_text(
        "Closes when its operator locks it."
    )
    expect(page.locator("#main")).not_to_contain_text("null")
    shot(page, "ux-12-markets-told-apart")

    page.goto(f"/#/markets/{first['id']}")
    expect(page.locator("#market-rules li")).to_have_text(
        [
            "YES wins if the engine sees a Cat at 80% or more, anywhere in the footage.",
            "NO wins if none of the other outcomes happens.",
        ]
    )
    expect(page.locator("#market-meta")).to_contain_text(f"Market #{first['id']} · by olga")
    expect(page.locator(f"#thumb-{first['id']}")).to_have_text(
        "Footage sealed until betting closes."
    )

    # Both go to review: the queue tells them apart, and the footage shows once decided.
    decide(live_server, olga, first, first_clip)
    decide(live_server, oscar, second, second_clip)
    expect(page.locator(f"#thumb-{first['id']} img")).to_be_visible()
    assert page.locator(f"#thumb-{first['id']} img").evaluate("i => i.naturalWidth") > 0
    shot(page, "ux-13-market-context")
    page.goto("/#/admin/reviews")
    for market, creator in ((first, "olga"), (second, "oscar")):
        expect(page.locator(f"#review-{market['id']} .meta")).to_contain_text(
            f"Market #{market['id']} · by {creator}"
        )
    shot(page, "ux-14-review-queue-told-apart")
