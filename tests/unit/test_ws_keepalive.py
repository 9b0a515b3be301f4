"""The WebSocket hub's keepalive: a quiet page that answers pings stays, a dead one goes.

Checks run every interval on an event loop whose timer runs a little late (drift); a
page answers a ping some milliseconds after the check that sent it."""

from __future__ import annotations

import itertools
import random
from collections.abc import Iterable

from streambet.api.sockets.hub import keepalive_action

INTERVAL = 20.0


def _checks_survived(drifts: Iterable[float], answer_after: float | None) -> int | None:
    """Runs the checks (each `drift` late) on a page that sends nothing but its answers to
    pings, `answer_after` seconds after each (None: it never answers). The number of the
    check that dropped it, or None if it was never dropped."""
    now = last_heard = 0.0
    for number, drift in enumerate(drifts, start=1):
        now += INTERVAL + drift
        action = keepalive_action(now - last_heard, INTERVAL)
        if action == "drop":
            return number
        if action == "ping" and answer_after is not None:
            last_heard = now + answer_after
    return None


def test_a_page_answering_just_after_a_punctual_check_is_pinged_again_not_dropped() -> None:
    # The answer comes 5 ms after a check that ran 1 ms late; the next check runs 1 ms late
    # too and hears of the page 19.996 s before: it must still ping, or the check after it
    # (9 ms late) finds the page silent for over 40 s.
    assert _checks_survived([0.001, 0.001, 0.009, 0.001, 0.001, 0.009], 0.005) is None


def test_pages_that_answer_within_a_quarter_interval_are_never_dropped() -> None:
    rng = random.Random(7)
    for _ in range(200):
        drifts = [rng.uniform(0, 0.05) for _ in range(300)]
        assert _checks_survived(drifts, rng.uniform(0, INTERVAL / 4)) is None


def test_a_page_that_never_answers_is_dropped_within_three_checks() -> None:
    for drift in (0.0, 0.001, 0.5):
        assert _checks_survived(itertools.repeat(drift, 10), None) in (2, 3)
