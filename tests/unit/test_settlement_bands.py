from __future__ import annotations

from streambet.domain.criteria import parse_criteria
from streambet.domain.settlement import Bands, OutcomeSpec, Verdict, decide
from tests.support.betting import Vocabulary, sample, timeline

V = Vocabulary()
YES_NO = [
    OutcomeSpec(1, "YES", parse_criteria({"label": "Cat", "min_confidence": 50}, V)),
    OutcomeSpec(2, "NO", None),
]
BANDS = Bands(80, 50)


def test_confident_detection_resolves_yes_with_evidence() -> None:
    d = decide(YES_NO, timeline([sample(2000, "Cat", 92)]), BANDS)
    assert d.resolved and d.outcome_id == 1 and d.confidence == 92.0
    assert d.detected_at_ms == [2000]
    assert d.evidence_json()["outcomes"][0]["detections"][0]["detected"] == "Cat"


def test_nothing_near_the_floor_over_the_whole_window_resolves_no() -> None:
    d = decide(YES_NO, timeline([sample(0, "Dog", 99), sample(0, "Cat", 30)]), BANDS)
    assert d.resolved and d.outcome_id == 2 and d.confidence == 70.0


def test_between_the_bands_goes_to_review() -> None:
    d = decide(YES_NO, timeline([sample(0, "Cat", 65)]), BANDS)
    assert not d.resolved and d.outcome_id is None
    assert d.verdicts[1][0] is Verdict.UNSURE


def test_exactly_at_the_bands() -> None:
    assert decide(YES_NO, timeline([sample(0, "Cat", 80)]), BANDS).outcome_id == 1
    assert not decide(YES_NO, timeline([sample(0, "Cat", 50)]), BANDS).resolved
    assert decide(YES_NO, timeline([sample(0, "Cat", 49.99)]), BANDS).outcome_id == 2


def test_partly_analysed_window_never_says_no() -> None:
    tl = timeline([], duration_ms=10_000, analysed_until_ms=6_000)
    d = decide(YES_NO, tl, BANDS)
    assert not d.resolved


def test_partly_analysed_window_can_still_say_yes() -> None:
    tl = timeline([sample(1000, "Cat", 95)], duration_ms=10_000, analysed_until_ms=6_000)
    assert decide(YES_NO, tl, BANDS).outcome_id == 1


def test_two_outcomes_met_is_ambiguous() -> None:
    outcomes = [
        OutcomeSpec(1, "Cat", parse_criteria({"label": "Cat"}, V)),
        OutcomeSpec(2, "Dog", parse_criteria({"label": "Dog"}, V)),
        OutcomeSpec(3, "Neither", None),
    ]
    tl = timeline([sample(0, "Cat", 95), sample(0, "Dog", 95)])
    assert not decide(outcomes, tl, BANDS).resolved
    assert decide(outcomes, timeline([sample(0, "Dog", 95)]), BANDS).outcome_id == 2
    assert decide(outcomes, timeline([]), BANDS).outcome_id == 3


def test_market_without_criteria_needs_a_person() -> None:
    d = decide([OutcomeSpec(1, "A", None), OutcomeSpec(2, "B", None)], timeline([]), BANDS)
    assert not d.resolved
