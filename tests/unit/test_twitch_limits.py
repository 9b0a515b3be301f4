"""A market fitted to Twitch Predictions' limits (domain/twitch.py)."""

from __future__ import annotations

import pytest

from streambet.domain.errors import ValidationFailed
from streambet.domain.twitch import prediction_of, shorten


def test_shorten_keeps_whole_words_and_marks_the_cut() -> None:
    assert shorten("short", 25) == "short"
    assert shorten("  spaced   out  ", 25) == "spaced out"
    cut = shorten("Will anyone at all appear on camera today", 25)
    assert cut == "Will anyone at all…" and len(cut) <= 25
    assert shorten("x" * 60, 25) == "x" * 24 + "…"


def test_window_is_clamped_and_outcomes_counted() -> None:
    assert prediction_of("q", ["a", "b"], 5).window_s == 30
    assert prediction_of("q", ["a", "b"], 90.4).window_s == 90
    assert prediction_of("q", ["a", "b"], 10_000).window_s == 1800
    with pytest.raises(ValidationFailed):
        prediction_of("q", ["a"], 60)
    with pytest.raises(ValidationFailed):
        prediction_of("q", [str(i) for i in range(11)], 60)
    with pytest.raises(ValidationFailed):  # the same once shortened: which one won?
        prediction_of("q", ["same prefix " * 3 + "one", "same prefix " * 3 + "two"], 60)
