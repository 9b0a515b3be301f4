"""Calibrated confidence (pipeline/calibration.py): raw scores through fitted curves per
source and family, the classifier's views without boxes, generic parents below 50, and
fine-grained classes below 80 until corroborated or persistent."""

from __future__ import annotations

import pytest

from streambet.timeline import BoundingBox
from streambet.vision.pipeline.aggregate import TemporalAggregator, merge_detections
from streambet.vision.pipeline.calibration import (
    GENERIC_CAP,
    REGIONS,
    Calibration,
    Curve,
    get_calibration,
)
from streambet.vision.pipeline.detectors.base import FULL_FRAME, Detection

TILE = BoundingBox(0.0, 0.0, 0.45, 0.6)
BODY = BoundingBox(0.2, 0.1, 0.3, 0.8)
DOC = {
    "generic": ["Household Item"],
    "curves": {
        "objects": {"*": [[0, 0], [50, 79]], "Person": [[0, 0], [36, 80], [100, 100]]},
        "classifier:regions": {"*:class": [[0, 0], [80, 50], [100, 79]]},
    },
    "settleable": ["Person"],
}


def test_curves_interpolate_and_must_be_monotone() -> None:
    curve = Curve.from_points([[0, 0], [36, 80], [100, 100]])
    assert curve(0) == 0 and curve(36) == 80 and curve(68) == 90 and curve(100) == 100
    with pytest.raises(ValueError, match="monotone"):
        Curve.from_points([[0, 0], [50, 80], [40, 90]])


def test_a_family_falls_back_to_its_sources_pooled_curve_then_to_raw() -> None:
    cal = Calibration(DOC)
    person, cup = Detection("Person", 68.0, ((BODY, 68.0),)), Detection("Cup", 45.0)
    out = {d.label: d for _, d in cal.apply([("objects", person), ("objects", cup)])}
    assert out["Person"].confidence == 90.0  # a 0.68 CenterNet person: right on the set
    assert out["Person"].boxes == ((BODY, 90.0),)  # instances calibrated alike
    assert out["Cup"].confidence == pytest.approx(71.1)  # pooled "*": never 80 alone
    face = Detection("Face", 91.0)
    assert cal.apply([("faces", face)]) == [("faces", face)]  # no curve: raw


def test_classifier_views_carry_no_boxes_and_name_their_view() -> None:
    """A cat "boxed" as three grid cells around its eye: the regions are not object boxes."""
    cal = Calibration.identity()
    found = [
        ("classifier", Detection("Cat", 90.0, ((TILE, 90.0),))),
        ("classifier", Detection("Animal", 95.0, ((FULL_FRAME, 95.0),))),
    ]
    out = cal.apply(found)
    assert [(s, d.label, d.boxes) for s, d in out] == [
        (REGIONS, "Cat", ()),
        ("classifier", "Animal", ()),
    ]


def test_generic_parents_from_the_classifier_stay_below_50() -> None:
    cal = Calibration(DOC)
    found = [("classifier", Detection("Household Item", 99.0, ((FULL_FRAME, 99.0),)))]
    [(_, det)] = cal.apply(found)
    assert det.confidence == GENERIC_CAP


def test_a_fine_grained_class_needs_the_object_detector_or_persistence() -> None:
    """Harmonica and Lipstick on a face, Fireworks on a biscuit box: one classifier view
    alone never reaches the bar at once."""
    cal = Calibration({"curves": {}})
    alone = cal.apply([("classifier", Detection("Tabby Cat", 97.0, ((TILE, 97.0),)))])
    assert alone[0][1].corroborate
    seen = cal.apply(
        [
            ("classifier", Detection("Tabby Cat", 97.0, ((TILE, 97.0),))),
            ("objects", Detection("Cat", 60.0, ((BODY, 60.0),))),
        ]
    )
    assert not seen[0][1].corroborate  # the object detector names its parent
    node = cal.apply([("classifier", Detection("Cat", 97.0, ((TILE, 97.0),)))])
    assert not node[0][1].corroborate  # a hierarchy node is calibrated, not capped

    agg = TemporalAggregator(persist_samples=4)
    smoothed = []
    for t in range(0, 4000, 500):
        for s in agg.update(t, merge_detections(alone)):
            smoothed.append(s.confidence)
    assert max(smoothed[:5]) <= 79.0  # held below the bar while it is new
    assert smoothed[-1] == 97.0  # seen for 3 s: the bar is open to it


def test_the_packaged_calibration_is_consistent() -> None:
    cal = get_calibration()
    assert "Person" in cal.settleable and "Fireworks" not in cal.settleable
    assert "Household Item" in cal.generic
    # a face at the face detector's floor stays below the bar; a clear one passes it
    assert cal.curve("faces", "Person")(50.0) < 80 <= cal.curve("faces", "Person")(95.0)
