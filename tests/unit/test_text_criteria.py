"""Text criteria ("Will SCORE appear on screen?") settle on the engine's OCR readings: the
phrase inside one reading in the window, scored by that reading's confidence."""

from __future__ import annotations

import dataclasses

import pytest

from streambet.domain.criteria import (
    TextCriterion,
    evaluate,
    label_names,
    parse_criteria,
    to_dict,
)
from streambet.domain.errors import ValidationFailed
from streambet.domain.settlement import Bands, OutcomeSpec, decide
from streambet.timeline import BoundingBox, TextDetection
from tests.support.betting import Vocabulary, timeline

SIGN = BoundingBox(0.4, 0.1, 0.2, 0.05)


def read(*readings: tuple[int, str, float]) -> object:
    tl = timeline([], duration_ms=10_000)
    texts = [TextDetection(t, text, conf, SIGN) for t, text, conf in readings]
    return dataclasses.replace(tl, texts=texts)


def test_a_phrase_inside_a_reading_holds_with_its_confidence_and_box() -> None:
    tl = read((1000, "AB 4. JULI IM KINO", 97.5), (6000, "EINFACH2", 91.0), (8000, "TAXI", 60))
    c = parse_criteria({"text": "im kino"}, Vocabulary())
    assert c == TextCriterion(("im", "kino"), 80.0, 0, None)
    assert to_dict(c) == {"text": "im kino", "min_confidence": 80.0, "start_ms": 0, "end_ms": None}
    assert label_names(c) == []  # no label: nothing for the measured vocabulary to check
    ev = evaluate(c, tl)
    assert ev.holds and ev.confidence == 97.5 and ev.complete
    assert [(e.detected, e.timestamp_ms, e.boxes) for e in ev.evidence] == [
        ("AB 4. JULI IM KINO", 1000, (SIGN,))
    ]
    # a token glued to its neighbour ("EINFACH2") holds its word; the middle of a word does not
    assert evaluate(parse_criteria({"text": "Einfach"}, Vocabulary()), tl).holds
    assert not evaluate(parse_criteria({"text": "UL"}, Vocabulary()), tl).holds


def test_window_and_confidence_decide_and_a_weak_reading_goes_to_review() -> None:
    tl = read((1000, "SCORE 2-1", 95.0), (8000, "TAXI", 60.0))
    late = parse_criteria({"text": "score", "start_ms": 2000}, Vocabulary())
    assert not evaluate(late, tl).holds and evaluate(late, tl).confidence == 0
    taxi = parse_criteria({"text": "taxi"}, Vocabulary())
    outcomes = [OutcomeSpec(1, "YES", taxi), OutcomeSpec(2, "NO", None)]
    decision = decide(outcomes, tl, Bands())
    assert not decision.resolved  # read at 60: between the review floor and the bar
    score = [OutcomeSpec(1, "YES", parse_criteria({"text": "SCORE"}, Vocabulary()))]
    won = decide([*score, OutcomeSpec(2, "NO", None)], tl, Bands())
    assert won.resolved and won.outcome_id == 1


def test_a_reading_holds_for_its_window() -> None:
    """OCR reads a line once and keeps it while the line stays: a market from 5 s on
    settles on a sign read at 1 s and still on screen until 9 s, not on one gone at 3 s."""
    tl = timeline([], duration_ms=10_000)
    tl = dataclasses.replace(
        tl,
        texts=[
            TextDetection(1000, "unverbesserlich.DE", 99.0, SIGN, 9000),
            TextDetection(1000, "SCORE 2-1", 95.0, SIGN, 3000),
        ],
    )
    sign = evaluate(parse_criteria({"text": "unverbesserlich", "start_ms": 5000}, Vocabulary()), tl)
    assert sign.holds and [e.timestamp_ms for e in sign.evidence] == [5000]
    assert not evaluate(parse_criteria({"text": "score", "start_ms": 3000}, Vocabulary()), tl).holds
    assert not evaluate(parse_criteria({"text": "score", "start_ms": 9000}, Vocabulary()), tl).holds


@pytest.mark.parametrize(
    "data",
    [{"text": ""}, {"text": "!!"}, {"text": 5}, {"text": "x" * 65}, {"text": "a", "label": "Cat"}],
)
def test_bad_text_criteria_are_refused(data: object) -> None:
    with pytest.raises(ValidationFailed):
        parse_criteria(data, Vocabulary())
