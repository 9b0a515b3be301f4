"""AudioSet scores -> display sound labels -> timeline samples."""

from __future__ import annotations

import numpy as np
import pytest

from streambet.vision.pipeline.audio.events import (
    CATEGORY,
    SOUND_LABELS,
    LabelMap,
    label_infos,
    to_samples,
)

MEMBERS = [m for members in SOUND_LABELS.values() for m in members]
CLASSES = ["Vehicle", *MEMBERS, "Inside, small room"]


def _scores(**by_class: float) -> np.ndarray:
    row = np.zeros((1, len(CLASSES)), dtype=np.float32)
    for name, value in by_class.items():
        row[0, CLASSES.index(name.replace("_", " "))] = value
    return row


def test_a_label_takes_its_best_member_class() -> None:
    labels = LabelMap(CLASSES)

    scores = labels.scores(_scores(Bark=0.3, Dog=0.8, Applause=0.6, Vehicle=0.99))[0]

    by_name = dict(zip(labels.names, scores.tolist(), strict=True))
    assert by_name["Dog Bark"] == pytest.approx(0.8)
    assert by_name["Applause"] == pytest.approx(0.6)
    assert by_name["Cheering"] == 0.0
    assert "Vehicle" not in by_name  # unmapped classes do not surface


def test_an_unknown_member_class_is_refused() -> None:
    with pytest.raises(ValueError, match="Cheering"):
        LabelMap([c for c in CLASSES if c != "Cheering"])


def test_samples_keep_windows_above_the_floor_with_the_run_best() -> None:
    names = ["Speech", "Music"]
    scores = np.array([[0.9, 0.2], [0.6, 0.7], [0.3, 0.8], [0.7, 0.1]], dtype=np.float32)
    running: dict[str, float] = {}

    samples = to_samples(scores, names, 5000, 1000, 50.0, running)

    assert [(s.timestamp_ms, s.name, s.confidence, s.top_confidence) for s in samples] == [
        (5000, "Speech", 90.0, 90.0),
        (6000, "Speech", 60.0, 90.0),
        (6000, "Music", 70.0, 70.0),
        (7000, "Music", 80.0, 80.0),
        (8000, "Speech", 70.0, 70.0),  # a new run after the 7000 ms gap
    ]
    assert all(s.source == "audio" for s in samples)
    assert running == {"Speech": 70.0}


def test_a_run_carries_over_into_the_next_block() -> None:
    running: dict[str, float] = {}
    to_samples(np.array([[0.95]], dtype=np.float32), ["Cheering"], 0, 1000, 50.0, running)

    (sample,) = to_samples(
        np.array([[0.6]], dtype=np.float32), ["Cheering"], 1000, 1000, 50.0, running
    )

    assert (sample.confidence, sample.top_confidence) == (60.0, 95.0)


def test_every_sound_label_is_in_the_sounds_category() -> None:
    infos = label_infos()

    assert set(infos) == set(SOUND_LABELS)
    assert all(info.categories == (CATEGORY,) for info in infos.values())
    assert "Bark" in infos["Dog Bark"].aliases and "Speech" not in infos["Speech"].aliases
