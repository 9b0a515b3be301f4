"""scripts/fit_calibration.py: where a family's 80 and 50 fall, and what is settleable."""

from __future__ import annotations

from scripts.fit_calibration import MIN_SUPPORT, best_tail, ceiling, curve, fit, threshold


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
    doc, below_50 = fit(claims)
    assert doc["curves"]["objects"]["Person"][1] == [40.0, 80.0]
    assert doc["curves"]["objects"]["Sports Equipment"] == [[0.0, 0.0], [100.0, 49.0]]
    assert doc["settleable"] == ["Person"]
    assert "Household Item" in doc["generic"]
    # Sports Equipment stays below 50 because no tail of it was ever right: measured
    assert below_50["objects Sports Equipment"] == (0.0, 60.0, 20)


def test_best_tail_tells_a_measured_cap_from_an_artefact_of_the_every_tail_rule() -> None:
    wrong_top = [(90.0, False)] * MIN_SUPPORT
    right_below = [(float(s), True) for s in range(50, 80)]
    # the top tail is wrong, so threshold() finds no 50; a lower tail is 30/38 right
    assert threshold(wrong_top + right_below, 0.60) is None
    assert best_tail(wrong_top + right_below) == (30 / 38, 50.0, 38)
    assert best_tail([(50.0, True)] * (MIN_SUPPORT - 1)) is None


def test_the_ceiling_counts_windows_the_raw_run_never_claimed() -> None:
    windows = [
        {"clip": "a", "label": "Cat", "best": 12.5},
        {"clip": "a", "label": "Drum", "best": 0.0},
        {"clip": "b", "label": "Taxicab", "best": None},
    ]
    assert ceiling(windows) == (1, ["a: Drum", "b: Taxicab"])
