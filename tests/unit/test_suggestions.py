"""Suggestions: computed once on the server; the original body's betting_suggestion is
the first of them."""

from __future__ import annotations

from streambet.domain.suggestions import betting_suggestion, suggest
from streambet.timeline import LabelInfo
from tests.support.betting import sample, timeline


def test_labels_seen_confidently_follow_the_originals_pick_longest_seen_first() -> None:
    tl = timeline(
        [sample(t, "Cat", 90) for t in (0, 500, 1000)]
        + [sample(1000, "Dog", 85), sample(1500, "Person", 99), sample(1500, "Car", 40)]
    )
    out = suggest(tl)
    # No activity label: the original picked the most confident label (generic or not).
    assert [s.label for s in out] == ["Person", "Cat", "Dog"]
    assert out[0].question == "Will 'Person' be detected with at least 80% confidence?"
    cat = out[1]
    assert cat.question == "Will a Cat appear in the clip?"
    assert cat.criteria == {"label": "Cat", "min_confidence": 80.0}
    assert cat.probability == round(4 / 6, 4)  # seen at 3 of 4 moments, smoothed
    assert cat.confidence == 90 and cat.timestamps_ms == (0, 500, 1000)
    assert "Car" not in {s.label for s in out}  # never seen confidently enough


def test_an_activity_label_comes_first_even_below_the_bar() -> None:
    tl = timeline([sample(0, "Cat", 95), sample(500, "Running", 60), sample(1000, "Running", 70)])
    tl.labels["Running"] = LabelInfo("Running", categories=("Person Description",))
    out = suggest(tl)
    assert [s.label for s in out] == ["Running", "Cat"]
    assert out[0].confidence == 70 and out[0].probability == round(1 / 5, 4)
    assert betting_suggestion(out) == {
        "suggestion": "Will 'Running' be detected with at least 80% confidence?",
        "detected_activity": "Running",
        "confidence": 70,
        "timestamps": [0.5, 1.0],
    }


def test_limit_and_nothing_seen() -> None:
    tl = timeline([sample(0, name, 90) for name in ("A1", "B2", "C3", "D4", "E5", "F6")])
    assert len(suggest(tl, limit=3)) == 3
    assert suggest(timeline([])) == []
    assert betting_suggestion([]) == {
        "suggestion": None,
        "detected_activity": None,
        "confidence": 0.0,
        "timestamps": [],
    }
