"""Agreement mode: a resolved decision stands only when the second engine agrees."""

from __future__ import annotations

from streambet.domain.criteria import parse_criteria
from streambet.domain.settlement import (
    ENGINES_DISAGREE,
    Bands,
    OutcomeSpec,
    decide,
    second_opinion,
)
from tests.support.betting import Vocabulary, sample, timeline

V = Vocabulary()
BANDS = Bands(80.0, 50.0)
YES_NO = [
    OutcomeSpec(1, "YES", parse_criteria({"label": "Cat", "min_confidence": 50}, V)),
    OutcomeSpec(2, "NO", None),
]
CAT = timeline([sample(2000, "Cat", 95.0), sample(2500, "Cat", 92.0)])
NOTHING = timeline([])


def test_met_resolves_when_the_second_engine_also_sees_it() -> None:
    d = second_opinion(decide(YES_NO, CAT, BANDS), YES_NO, timeline([sample(2000, "Cat", 70.0)]))
    assert d.resolved and d.outcome_id == 1
    assert d.reason == "criteria met"
    assert d.evidence_json()["second_opinion"]["outcomes"][0]["holds"] is True


def test_met_goes_to_review_when_the_second_engine_does_not_see_it() -> None:
    d = second_opinion(decide(YES_NO, CAT, BANDS), YES_NO, NOTHING)
    assert not d.resolved and d.outcome_id is None
    assert d.evidence_json()["reason"] == ENGINES_DISAGREE


def test_not_met_resolves_no_when_neither_engine_sees_it() -> None:
    d = second_opinion(decide(YES_NO, NOTHING, BANDS), YES_NO, NOTHING)
    assert d.resolved and d.outcome_id == 2


def test_not_met_goes_to_review_when_the_second_engine_finds_it() -> None:
    d = second_opinion(decide(YES_NO, NOTHING, BANDS), YES_NO, CAT)
    assert not d.resolved and d.reason == ENGINES_DISAGREE


def test_a_decision_already_in_review_keeps_its_reason() -> None:
    unsure = timeline([sample(2000, "Cat", 65.0)])
    first = decide(YES_NO, unsure, BANDS)
    d = second_opinion(first, YES_NO, unsure)
    assert not d.resolved and d.reason == first.reason


def test_without_a_second_opinion_the_evidence_is_unchanged() -> None:
    d = decide(YES_NO, CAT, BANDS)
    assert d.resolved and "second_opinion" not in d.evidence_json()
