"""scripts/fit_calibration.py: where a family's 80 and 50 fall, and what is settleable."""

from __future__ import annotations

from scripts.fit_calibration import MIN_SUPPORT, curve, fit, threshold


def test_threshold_is_the_lowest_score_whose_every_tail_is_right_enough() -> None:
    right = [(float(s), True) for s in range(90, 100)]
    wrong_low = [(50.0, False), (55.0, False), (60.0, True)]
    # from 90 up 10 of 10 are right, from 60 up 11 of 11, from 55 up 11 of 12 (92%)
    assert threshold(right + wrong_low, 0.95) == 60.0
    assert threshold(right + wrong_low, 0.90) == 55.0  # and from 50 up 11 of 13 (85%)


def test_curves_map_t50_to_50_and_t80_to_80_or_stay_below() -> None:
    good = [(float(s), True) for s in range(40, 100, 2)]
    assert curve(good) == [[0.0, 0.0], [40.0, 80.0], [100.0, 100.0]]
    # a claim of something listed absent at 70: 80 lies above it
    assert curve(good, absent=[70.0])[1:] == [[40.0, 50.0], [71.0, 80.0], [100.0, 100.0]]
    bad = [(float(s), s % 3 == 0) for s in range(40, 100)]
    assert curve(bad) == [[0.0, 0.0], [100.0, 49.0]]  # never 60% right: below 50
    few = [(99.0, True)] * (MIN_SUPPORT - 1)
    assert threshold(few, 0.95) is None  # too few claims to say


def test_fit_writes_curves_and_a_settleable_vocabulary() -> None:
    claims = [
        {
            "clip": "c",
            "label": "Person",
            "source": "objects",
            "confidence": float(c),
            "verdict": "correct",
            "reason": "in a window of its label",
        }
        for c in range(40, 100)
    ] + [
        {
            "clip": "c",
            "label": "Sports Ball",
            "source": "objects",
            "confidence": 60.0,
            "verdict": "incorrect",
            "reason": "listed absent",
        }
    ] * 20
    doc = fit(claims)
    assert doc["curves"]["objects"]["Person"][1] == [40.0, 80.0]
    assert doc["curves"]["objects"]["Sports Equipment"] == [[0.0, 0.0], [100.0, 49.0]]
    assert doc["settleable"] == ["Person"]
    assert "Household Item" in doc["generic"]
