"""Words read on a seen thing refine it (pipeline/text_names.py); they never create one."""

from __future__ import annotations

from streambet.timeline import BoundingBox
from streambet.vision.pipeline.detectors.base import Detection, TextHit
from streambet.vision.pipeline.taxonomy import get_taxonomy
from streambet.vision.pipeline.text_names import named_by_text

SIGN = BoundingBox(0.1, 0.35, 0.3, 0.15)
CAR_UNDER_SIGN = BoundingBox(0.05, 0.3, 0.6, 0.6)
CAR_ELSEWHERE = BoundingBox(0.6, 0.5, 0.35, 0.4)


def _named(text: str, seen: dict[str, Detection]) -> list[Detection]:
    return named_by_text([TextHit(text, 99.0, SIGN)], seen, get_taxonomy())


def test_a_taxi_sign_on_a_car_the_classifier_saw_makes_a_taxicab() -> None:
    """The classifier's views carry no boxes: the same picture is enough, and both models
    must be right, so the confidence is the product (99% x 57% = 56.4%)."""
    (taxi,) = _named("TAXI", {"Car": Detection("Car", 57.0)})
    assert (taxi.label, taxi.confidence) == ("Taxicab", 56.43)
    assert taxi.boxes == ((SIGN, 56.43),)  # the sign is where the taxi is


def test_on_a_detected_car_the_reading_must_lie_on_its_box() -> None:
    """The claim is that car's: its box, its track and its own score (99% x 90%)."""
    boxes = ((CAR_ELSEWHERE, 95.0), (CAR_UNDER_SIGN, 90.0))
    (taxi,) = _named("Taxi 24h", {"Car": Detection("Car", 95.0, boxes, tracks=(4, 7))})
    assert taxi.label == "Taxicab" and taxi.instances() == [(CAR_UNDER_SIGN, 89.1, 7)]
    assert _named("TAXI", {"Car": Detection("Car", 90.0, ((CAR_ELSEWHERE, 90.0),))}) == []


def test_words_never_create_a_thing_or_name_one_under_a_whole_family() -> None:
    assert _named("TAXI", {}) == []  # a taxi rank's sign with no car seen
    assert _named("TAXI", {"Person": Detection("Person", 95.0)}) == []
    # Bus lies directly under Vehicle: a bus stop's sign beside a car is no bus
    assert _named("BUS", {"Vehicle": Detection("Vehicle", 95.0)}) == []
    assert _named("AB 4. JULI IM KINO", {"Car": Detection("Car", 95.0)}) == []
    (ambulance,) = _named("AMBULANCE", {"Car": Detection("Car", 80.0)})
    assert ambulance.label == "Ambulance"
