from __future__ import annotations

import pytest

from streambet.domain.criteria import evaluate, parse_criteria, to_dict
from streambet.domain.errors import ValidationFailed
from tests.support.betting import Vocabulary, box, sample, timeline

V = Vocabulary()


def crit(data: object):
    return parse_criteria(data, V)


def test_labels_resolve_through_aliases_case_insensitively() -> None:
    c = crit({"label": "kitty", "min_confidence": 70})
    assert to_dict(c)["label"] == "Cat"


@pytest.mark.parametrize(
    "data, field",
    [
        ({"label": "Unicorn"}, "criteria.label"),
        ({"label": "Cat", "min_confidence": 0}, "criteria.min_confidence"),
        ({"label": "Cat", "start_ms": 500, "end_ms": 100}, "criteria.end_ms"),
        ({"label": "Cat", "colour": "red"}, "criteria"),
        ({"all": []}, "criteria.all"),
        ({"all": [{"label": "Cat"}], "any": []}, "criteria"),
        (
            {"label": "Cat", "region": {"left": 0.8, "top": 0, "width": 0.5, "height": 1}},
            "criteria.region",
        ),
        ({"not": {"label": "Dragon"}}, "criteria.not.label"),
        ("Cat", "criteria"),
    ],
)
def test_bad_criteria_are_refused_at_creation(data: object, field: str) -> None:
    with pytest.raises(ValidationFailed) as err:
        crit(data)
    assert err.value.details == {"field": field}


def test_parent_matches_a_detected_child_with_evidence() -> None:
    tl = timeline([sample(1000, "Cat", 91.5, [(box(), 90.0)]), sample(1500, "Person", 99)])
    ev = evaluate(crit({"label": "Animal"}), tl)
    assert ev.holds and ev.confidence == 91.5 and ev.complete and not ev.absence
    assert [(e.detected, e.timestamp_ms) for e in ev.evidence] == [("Cat", 1000)]
    assert ev.evidence[0].boxes == (box(),)
    assert ev.model_version == "test-model-1"


def test_time_window_excludes_detections_outside_it() -> None:
    tl = timeline([sample(1000, "Cat", 95)])
    assert not evaluate(crit({"label": "Cat", "start_ms": 2000}), tl).holds
    assert evaluate(crit({"label": "Cat", "end_ms": 1001}), tl).holds


def test_minimum_count_uses_instances_above_the_threshold() -> None:
    two = [(box(0.0), 95.0), (box(0.5), 85.0)]
    tl = timeline([sample(0, "Dog", 96, two)])
    ev = evaluate(crit({"label": "Dog", "min_count": 2}), tl)
    assert ev.holds and ev.confidence == 85.0
    assert not evaluate(crit({"label": "Dog", "min_count": 3}), tl).holds


def test_cat_and_dog_together_count_as_two_animals() -> None:
    tl = timeline(
        [sample(0, "Dog", 90, [(box(0.0), 90.0)]), sample(0, "Cat", 88, [(box(0.5), 88.0)])]
    )
    assert evaluate(crit({"label": "Animal", "min_count": 2}), tl).confidence == 88.0


def test_region_counts_only_boxes_whose_centre_is_inside() -> None:
    left_half = {"left": 0, "top": 0, "width": 0.5, "height": 1}
    tl = timeline([sample(0, "Car", 97, [(box(0.7, 0.1, 0.2, 0.2), 97.0)])])
    assert not evaluate(crit({"label": "Car", "region": left_half}), tl).holds
    tl = timeline([sample(0, "Car", 97, [(box(0.1, 0.1, 0.2, 0.2), 97.0)])])
    assert evaluate(crit({"label": "Car", "region": left_half}), tl).holds


def test_minimum_duration_needs_a_continuous_run() -> None:
    run = [sample(t, "Cat", 90) for t in (0, 500, 1000, 1500)]  # 2 s with 500 ms samples
    broken = [sample(t, "Cat", 90) for t in (0, 500, 2000, 2500)]
    c = crit({"label": "Cat", "min_duration_ms": 2000})
    assert evaluate(c, timeline(run)).holds
    assert not evaluate(c, timeline(broken)).holds


def test_duration_score_is_the_weakest_link_of_the_best_run() -> None:
    samples = [sample(0, "Cat", 95), sample(500, "Cat", 82), sample(1000, "Cat", 99)]
    ev = evaluate(crit({"label": "Cat", "min_duration_ms": 1500}), timeline(samples))
    assert ev.confidence == 82.0 and ev.holds


def test_all_any_not() -> None:
    tl = timeline([sample(0, "Cat", 90), sample(0, "Dog", 60)])
    both = evaluate(crit({"all": [{"label": "Cat"}, {"label": "Dog"}]}), tl)
    assert not both.holds and both.confidence == 60.0
    either = evaluate(crit({"any": [{"label": "Cat"}, {"label": "Dog"}]}), tl)
    assert either.holds and either.confidence == 90.0
    no_car = evaluate(crit({"not": {"label": "Car"}}), tl)
    assert no_car.holds and no_car.confidence == 100.0 and no_car.absence


def test_partial_analysis_is_reported_as_incomplete() -> None:
    tl = timeline([sample(0, "Cat", 90)], duration_ms=10_000, analysed_until_ms=4_000)
    assert not evaluate(crit({"label": "Cat"}), tl).complete
    assert evaluate(crit({"label": "Cat", "end_ms": 4000}), tl).complete


def test_evaluation_is_pure() -> None:
    tl = timeline([sample(0, "Cat", 90)])
    c = crit({"label": "Cat"})
    assert evaluate(c, tl) == evaluate(c, tl)


def test_one_tracked_object_counts_once_under_a_parent() -> None:
    """The engine names a tracked car Car and Vehicle in one sample with the same box and
    track: a count of vehicles counts it once; two tracked cars count twice."""
    from streambet.timeline import Instance, LabelSample

    def tracked(name: str, *cars: tuple[float, int]) -> LabelSample:
        inst = tuple(Instance(box(left), 90.0, track) for left, track in cars)
        return LabelSample(0, name, 90.0, 90.0, inst, "objects")

    one = timeline([tracked("Car", (0.1, 7)), tracked("Vehicle", (0.1, 7))])
    assert not evaluate(crit({"label": "Vehicle", "min_count": 2}), one).holds
    two = timeline([tracked("Car", (0.1, 7), (0.5, 8)), tracked("Vehicle", (0.1, 7), (0.5, 8))])
    assert evaluate(crit({"label": "Vehicle", "min_count": 2}), two).holds
    assert not evaluate(crit({"label": "Vehicle", "min_count": 3}), two).holds
