"""Live market rules in memory: windows, when betting closes, what coverage lets settlement
conclude, the bet delay's verdict, template periods and the house's estimate."""

from __future__ import annotations

import math

import pytest

from streambet.domain.errors import ValidationFailed
from streambet.domain.live_markets import (
    SAMPLES_SETTLE_MS,
    Hold,
    Step,
    Window,
    betting_of,
    check_template,
    coverage,
    hold_verdict,
    house_estimate,
    next_step,
    period_of,
    window_of,
)
from streambet.domain.streams import Interval

NOW = 1_800_000_000_000
W = Window(NOW, NOW + 60_000)


def test_windows_absolute_or_the_next_minutes() -> None:
    assert window_of(NOW, from_ms=NOW + 5_000, until_ms=NOW + 65_000) == Window(
        NOW + 5_000, NOW + 65_000
    )
    assert window_of(NOW, minutes=2) == Window(NOW, NOW + 120_000)
    assert window_of(NOW, from_ms=NOW + 1_000, minutes=0.5) == Window(NOW + 1_000, NOW + 31_000)


@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {"from_ms": NOW},
        {"from_ms": NOW, "until_ms": NOW + 9_999},  # under 10 s
        {"from_ms": NOW - 120_000, "until_ms": NOW},  # over already
        {"minutes": 1, "until_ms": NOW + 60_000},
        {"minutes": math.inf},
        {"minutes": -1},
        {"minutes": 361},
        {"from_ms": NOW + 8 * 24 * 3_600_000, "minutes": 1},
    ],
)
def test_bad_windows_are_refused(kwargs: dict[str, float]) -> None:
    with pytest.raises(ValidationFailed):
        window_of(NOW, **kwargs)  # type: ignore[arg-type]


def test_betting_closes_when_the_window_opens_unless_in_play() -> None:
    ahead = Window(NOW + 30_000, NOW + 90_000)
    assert betting_of(ahead, NOW, in_play=False, bet_delay_ms=5_000).closes_ms == NOW + 30_000
    assert betting_of(ahead, NOW, in_play=False, bet_delay_ms=5_000).bet_delay_ms == 0
    early = betting_of(ahead, NOW, in_play=False, bet_delay_ms=0, closes_ms=NOW + 10_000)
    assert early.closes_ms == NOW + 10_000
    with pytest.raises(ValidationFailed):  # after the window opens: only in play
        betting_of(ahead, NOW, in_play=False, bet_delay_ms=0, closes_ms=NOW + 31_000)
    with pytest.raises(ValidationFailed):  # starts now: it would never take a wager
        betting_of(W, NOW, in_play=False, bet_delay_ms=0)
    played = betting_of(W, NOW, in_play=True, bet_delay_ms=5_000)
    assert (played.closes_ms, played.bet_delay_ms) == (W.until_ms, 5_000)
    with pytest.raises(ValidationFailed):
        betting_of(W, NOW, in_play=True, bet_delay_ms=0)


def test_coverage_counts_only_stored_samples_for_absence() -> None:
    open_interval = [Interval(NOW - 5_000, NOW + 70_000)]
    cov = coverage(open_interval, W, NOW + 70_000)
    assert cov.reach_ms == NOW + 70_000
    assert cov.safe_ms == NOW + 70_000 - SAMPLES_SETTLE_MS
    assert not cov.complete(W) and not cov.broken
    later = coverage([Interval(NOW - 5_000, NOW + 72_000)], W, NOW + 72_000)
    assert later.complete(W)
    # A cleanly closed interval wrote its samples: safe once that is a chunk ago.
    closed = [Interval(NOW - 5_000, NOW + 61_000, "the stream was stopped")]
    assert not coverage(closed, W, NOW + 61_000).complete(W)
    assert coverage(closed, W, NOW + 61_000 + SAMPLES_SETTLE_MS).complete(W)


def test_a_gap_breaks_coverage_once_analysis_resumes() -> None:
    lost = [Interval(NOW - 5_000, NOW + 20_000)]
    cov = coverage(lost, W, NOW + 25_000)
    assert cov.reach_ms == NOW + 20_000 and not cov.broken  # it may still resume
    assert next_step(W, cov, NOW + 25_000, 90_000) is Step.WAIT
    resumed = [*lost, Interval(NOW + 40_000, NOW + 45_000)]
    cov = coverage(resumed, W, NOW + 45_000)
    assert cov.broken and cov.reach_ms == NOW + 20_000
    assert next_step(W, cov, NOW + 45_000, 90_000) is Step.GAP
    late_start = coverage([Interval(NOW + 1_000, NOW + 80_000)], W, NOW + 80_000)
    assert late_start.broken and late_start.reach_ms == NOW  # the window's start unseen
    assert next_step(W, coverage([], W, W.until_ms + 90_000), W.until_ms + 90_000, 90_000) is (
        Step.GAP
    )


def test_nothing_happens_before_the_window() -> None:
    cov = coverage([], W, NOW - 1)
    assert next_step(W, cov, NOW - 1, 90_000) is Step.WAIT


def test_the_bet_delay_verdict() -> None:
    placed, delay = NOW + 10_000, 5_000
    assert hold_verdict(placed, delay, [], placed + 4_999, final=False) is Hold.PENDING
    assert hold_verdict(placed, delay, [], placed + 5_000, final=False) is Hold.ACCEPTED
    assert hold_verdict(placed, delay, [], placed, final=True) is Hold.REFUSED
    for seen in (placed - 5_000, placed, placed + 5_000):
        assert hold_verdict(placed, delay, [seen], placed + 60_000, final=False) is Hold.REFUSED
    for seen in (placed - 5_001, placed + 5_001):
        assert hold_verdict(placed, delay, [seen], placed + 60_000, final=False) is Hold.ACCEPTED


def test_template_periods_and_limits() -> None:
    assert period_of(NOW, 120_000, NOW) == 0
    assert period_of(NOW, 120_000, NOW + 119_999) == 0
    assert period_of(NOW, 120_000, NOW + 240_000) == 2
    assert period_of(NOW, 120_000, NOW - 1) == -1
    check_template(120_000, 60_000, 30_000)
    for every, window, lead in ((59_000, 20_000, 10_000), (120_000, 5_000, 10_000),
                                (120_000, 60_000, 0), (120_000, 60_000, 121_000)):  # fmt: skip
        with pytest.raises(ValidationFailed):
            check_template(every, window, lead)


def test_the_house_estimate() -> None:
    assert house_estimate(0.4, 60_000) == pytest.approx(1 - math.exp(-0.4))
    assert house_estimate(0.0, 60_000) == 0.01  # never certain either way
    assert house_estimate(100.0, 60_000) == 0.99
