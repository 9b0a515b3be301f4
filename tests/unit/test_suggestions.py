"""Suggestions: computed once on the server; the original body's betting_suggestion is
the first of them. Only markets the engine can settle: clearly seen, measured labels,
plain questions, the most prominent subject first."""

from __future__ import annotations

from streambet.domain.suggestions import betting_suggestion, suggest
from streambet.timeline import BoundingBox, Instance, LabelInfo, LabelSample
from tests.support.betting import sample, timeline


def boxed(t: int, name: str, confidence: float, side: float) -> LabelSample:
    box = BoundingBox(0.1, 0.1, side, side)
    return LabelSample(t, name, confidence, confidence, (Instance(box, confidence),), "objects")


def test_clearly_seen_labels_as_plain_questions_most_prominent_first() -> None:
    tl = timeline(
        [boxed(t, "Cat", 90, 0.2) for t in (0, 500, 1000)]  # 3 moments x 0.04 of the frame
        + [boxed(1000, "Dog", 85, 0.8)]  # 1 moment x 0.64
        + [sample(1500, "Person", 99), sample(1500, "Car", 40)]
    )
    out = suggest(tl)
    assert [s.label for s in out] == ["Dog", "Cat"]  # Person: too generic; Car: not clear
    cat = out[1]
    assert cat.question == "Will a cat appear?"
    assert cat.criteria == {"label": "Cat", "min_confidence": 80.0}
    assert cat.probability == round(4 / 6, 4)  # seen at 3 of 4 moments, smoothed
    assert cat.confidence == 90 and cat.timestamps_ms == (0, 500, 1000)
    assert betting_suggestion(out)["suggestion"] == "Will a dog appear?"


def test_only_labels_the_engine_can_settle() -> None:
    """The astronaut's "Football Helmet" at 100 made the first market once; a label
    without measured precision is never suggested."""
    tl = timeline([sample(t, "Football Helmet", 100) for t in (0, 500)] + [sample(0, "TV", 90)])
    tl.labels["Music"] = LabelInfo("Music", categories=("Sounds",))
    tl.samples.append(sample(0, "Music", 95))
    out = suggest(tl, settleable=lambda name: name in {"TV", "Music"})
    # equally prominent (one moment, no box): by name
    assert [s.question for s in out] == ["Will music be heard?", "Will a TV appear?"]


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
