"""Live market rules: a window on a stream's clock, when betting closes, how coverage of the
window decides what settlement may conclude, the bet delay of in-play markets, and
recurring templates.

Times are stream time: wall-clock epoch milliseconds, the clock of the stream's coverage
and label events (domain/streams.py). A market's criteria keep the clip language; their
`start_ms`/`end_ms` are relative to the window's start, so "a person in the first 30
seconds" reads the same on a clip and on a window.

The engine stores a picture's samples a little after it analysed the picture (smoothing,
and samples are written in chunks of `CHUNK_MS`): coverage only counts as evidence of
absence `SAMPLES_SETTLE_MS` behind where the analysis reached, unless the interval was
closed cleanly (its samples were then written) and that long ago. A qualifying detection
needs no such wait: YES settles as soon as it is stored.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from streambet.domain.errors import ValidationFailed
from streambet.domain.streams import Interval

MIN_WINDOW_MS = 10_000
MAX_WINDOW_MS = 6 * 3600 * 1000
MAX_LEAD_MS = 7 * 24 * 3600 * 1000  # a window opens within a week
MAX_BET_DELAY_MS = 60_000
SAMPLES_SETTLE_MS = 12_000  # the live job's chunk (10 s) plus the smoothing's delay
MIN_PERIOD_MS = 60_000


class GapRule(StrEnum):
    """What a window the engine could not watch whole becomes, when no qualifying
    detection decided it anyway: an admin's `review`, or `void` (every stake refunded)."""

    REVIEW = "review"
    VOID = "void"


@dataclass(frozen=True)
class Window:
    from_ms: int
    until_ms: int

    @property
    def length_ms(self) -> int:
        return self.until_ms - self.from_ms


def window_of(
    now_ms: int,
    *,
    from_ms: int | None = None,
    until_ms: int | None = None,
    minutes: float | None = None,
) -> Window:
    """An absolute window (`from_ms`, `until_ms`), or "the next `minutes`" from `from_ms`
    (default: now)."""
    if minutes is not None:
        if until_ms is not None:
            raise ValidationFailed(
                "Give either `until_ms` or `minutes`, not both.", details={"field": "minutes"}
            )
        if not math.isfinite(minutes) or minutes <= 0:
            raise ValidationFailed("`minutes` must be positive.", details={"field": "minutes"})
        start = now_ms if from_ms is None else from_ms
        window = Window(start, start + round(minutes * 60_000))
    else:
        if from_ms is None or until_ms is None:
            raise ValidationFailed(
                "A live market needs a window: `from_ms` and `until_ms`, or `minutes`.",
                details={"field": "window"},
            )
        window = Window(from_ms, until_ms)
    if not MIN_WINDOW_MS <= window.length_ms <= MAX_WINDOW_MS:
        raise ValidationFailed(
            f"A window lasts {MIN_WINDOW_MS // 1000} s to {MAX_WINDOW_MS // 3_600_000} h.",
            details={"field": "window"},
        )
    if window.until_ms <= now_ms:
        raise ValidationFailed("The window is over already.", details={"field": "window"})
    if window.from_ms > now_ms + MAX_LEAD_MS:
        raise ValidationFailed("The window opens too far ahead.", details={"field": "window"})
    return window


@dataclass(frozen=True)
class Betting:
    closes_ms: int
    bet_delay_ms: int  # 0: wagers count when placed


def betting_of(
    window: Window,
    now_ms: int,
    *,
    in_play: bool,
    bet_delay_ms: int,
    closes_ms: int | None = None,
) -> Betting:
    """Betting closes when the window opens (or earlier), so nobody bets on what the
    stream has already shown; an in-play market takes wagers while its window runs (until
    `closes_ms`, by default its end), each only after the bet delay."""
    latest = window.until_ms if in_play else window.from_ms
    closes = latest if closes_ms is None else closes_ms
    if closes > latest:
        raise ValidationFailed(
            "Betting must close when the window opens (or, in play, by its end).",
            details={"field": "closes_at_ms"},
        )
    if closes <= now_ms:
        raise ValidationFailed(
            "Betting would close before it opens: the window starts too soon. Make it"
            " in play, or start it later.",
            details={"field": "closes_at_ms"},
        )
    if in_play and not 0 < bet_delay_ms <= MAX_BET_DELAY_MS:
        raise ValidationFailed(
            f"An in-play market needs a bet delay of 1 ms to {MAX_BET_DELAY_MS // 1000} s.",
            details={"field": "bet_delay_ms"},
        )
    return Betting(closes, bet_delay_ms if in_play else 0)


# -- coverage of a window --


@dataclass(frozen=True)
class Coverage:
    """How far the stream was watched without a break from the window's start, and how far
    of that the samples are surely stored (what absence may be concluded about)."""

    reach_ms: int  # contiguous analysed stream time from the window's start
    safe_ms: int  # the part of it whose samples are stored
    broken: bool  # analysis stopped at reach_ms and resumed later

    def complete(self, window: Window) -> bool:
        return self.safe_ms >= window.until_ms


def coverage(intervals: Iterable[Interval], window: Window, now_ms: int) -> Coverage:
    """A stream that stopped may be started again within the window, so only analysis that
    resumed after a break proves the break (otherwise the settle timeout decides)."""
    ordered = sorted(intervals, key=lambda i: (i.from_ms, i.until_ms))
    reach = window.from_ms
    reach_reason: str | None = None
    started = False
    resumed = False
    for i in ordered:
        if i.from_ms <= reach and i.until_ms > reach:
            reach, reach_reason, started = i.until_ms, i.end_reason, True
        elif i.from_ms > reach:
            resumed = True
            break
    if not started:
        return Coverage(window.from_ms, window.from_ms, resumed)
    # A cleanly closed interval wrote its samples when it closed; one still open or lost
    # with its worker only vouches for samples a chunk behind.
    clean = reach_reason is not None and now_ms >= reach + SAMPLES_SETTLE_MS
    safe = reach if clean else reach - SAMPLES_SETTLE_MS
    return Coverage(reach, max(window.from_ms, safe), resumed)


class Step(StrEnum):
    DECIDE = "decide"  # settle from the evidence (resolved, or review in the band)
    GAP = "gap"  # the window was not watched whole: the market's gap rule
    WAIT = "wait"  # more of the window may still be analysed


def next_step(window: Window, cov: Coverage, now_ms: int, timeout_ms: int) -> Step:
    """What to do with a window that no qualifying detection has decided yet."""
    if now_ms < window.from_ms:
        return Step.WAIT
    if cov.complete(window):
        return Step.DECIDE
    if (cov.broken and cov.reach_ms < window.until_ms + SAMPLES_SETTLE_MS) or (
        now_ms >= window.until_ms + timeout_ms
    ):
        return Step.GAP
    return Step.WAIT


# -- bet delay --


class Hold(StrEnum):
    PENDING = "pending"
    ACCEPTED = "accepted"
    REFUSED = "refused"


def hold_verdict(
    placed_ms: int,
    delay_ms: int,
    detections_ms: Iterable[int],
    safe_ms: int,
    *,
    final: bool,
) -> Hold:
    """A wager placed at `placed_ms` counts only if nothing qualifying was detected from
    one delay before it (a bettor who saw it on the stream) to one delay after it (what the
    engine had not reported yet); it waits until the engine has surely looked that far.
    `final`: the market is being decided now, so an unconfirmed wager is refused."""
    lo, hi = placed_ms - delay_ms, placed_ms + delay_ms
    if any(lo <= t <= hi for t in detections_ms):
        return Hold.REFUSED
    if safe_ms >= hi:
        return Hold.ACCEPTED
    return Hold.REFUSED if final else Hold.PENDING


# -- recurring templates --


def check_template(every_ms: int, window_ms: int, lead_ms: int) -> None:
    if every_ms < MIN_PERIOD_MS:
        raise ValidationFailed(
            f"A template repeats at most every {MIN_PERIOD_MS // 1000} s.",
            details={"field": "every_minutes"},
        )
    if not MIN_WINDOW_MS <= window_ms <= min(MAX_WINDOW_MS, every_ms * 12):
        raise ValidationFailed(
            "A template's window lasts 10 s to 12 periods.", details={"field": "window_minutes"}
        )
    if not 0 < lead_ms <= every_ms:
        raise ValidationFailed(
            "Betting opens at most one period before the window.",
            details={"field": "lead_seconds"},
        )


def period_of(anchor_ms: int, every_ms: int, at_ms: int) -> int:
    """The number of the period that `at_ms` falls in (period 0 starts at `anchor_ms`)."""
    return (at_ms - anchor_ms) // every_ms


def house_estimate(rate_per_minute: float, window_ms: int) -> float:
    """The house's estimate of P(at least one sighting in the window), from the observed
    rate of sightings, as a Poisson process: 1 - e^(-rate x minutes). Clamped to 1-99 %,
    since an estimate is never certain."""
    p = 1.0 - math.exp(-max(rate_per_minute, 0.0) * window_ms / 60_000)
    return min(0.99, max(0.01, p))
