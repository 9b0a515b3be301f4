"""Criteria on the sound track's words: "Will the commentator say 'goal'?"."""

from __future__ import annotations

import pytest

from streambet.domain.criteria import evaluate, parse_criteria, to_dict
from streambet.domain.errors import ValidationFailed
from streambet.domain.settlement import Bands, Verdict, verdict
from streambet.timeline import TranscriptWord
from tests.support.betting import Vocabulary, timeline

V = Vocabulary()


def spoken_timeline(words: list[tuple[str, int, float]], speech_until_ms: int = 10_000):
    t = timeline([], duration_ms=10_000)
    t.words = [TranscriptWord(w, at, at + 300, p) for w, at, p in words]
    t.speech_until_ms = speech_until_ms
    return t


def test_a_phrase_matches_consecutive_words_without_case_or_punctuation() -> None:
    c = parse_criteria({"spoken": "What a GOAL!", "start_ms": 1000}, V)
    assert to_dict(c)["spoken"] == "what a goal"
    t = spoken_timeline(
        [
            ("what", 500, 99),
            ("a", 800, 99),
            ("goal", 900, 99),  # before the window
            ("What", 3000, 95),
            ("a", 3300, 90),
            ("goal!", 3600, 72),
        ]
    )
    e = evaluate(c, t)
    assert e.holds and e.complete
    assert e.confidence == 72.0  # the weakest word of the best occurrence
    assert [(i.detected, i.timestamp_ms) for i in e.evidence] == [("what a goal", 3000)]


def test_words_out_of_order_do_not_make_the_phrase() -> None:
    c = parse_criteria({"spoken": "goal scored"}, V)
    e = evaluate(c, spoken_timeline([("scored", 1000, 99), ("goal", 1400, 99)]))
    assert not e.holds and e.confidence == 0.0


def test_no_is_only_complete_when_speech_was_transcribed_over_the_window() -> None:
    c = parse_criteria({"spoken": "goal"}, V)
    bands = Bands(80.0, 50.0)
    heard = evaluate(c, spoken_timeline([("hello", 1000, 99)]))
    assert verdict(heard, bands) is Verdict.NOT_MET
    # Speech-to-text off (or cut short): silence proves nothing, so it goes to review.
    unheard = evaluate(c, spoken_timeline([], speech_until_ms=4_000))
    assert verdict(unheard, bands) is Verdict.UNSURE
    said = evaluate(c, spoken_timeline([("goal", 2000, 91)]))
    assert verdict(said, bands) is Verdict.MET


@pytest.mark.parametrize(
    "data",
    [
        {"spoken": ""},
        {"spoken": "!!!"},
        {"spoken": "a b c d e f g"},
        {"spoken": 3},
        {"spoken": "goal", "region": {}},
        {"spoken": "goal", "min_confidence": 101},
    ],
)
def test_bad_spoken_criteria_are_refused(data: object) -> None:
    with pytest.raises(ValidationFailed):
        parse_criteria(data, V)
