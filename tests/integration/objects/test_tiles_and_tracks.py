"""Issue 13's object failure kinds on packaged photos (real model): small people in a wide
frame are found through tiles, and tracks keep one id per object across samples."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from streambet.vision.pipeline.change import thumbnail
from streambet.vision.pipeline.detectors.base import SampleContext
from streambet.vision.pipeline.detectors.objects import CocoModel, ObjectDetector

LEFTS = (40, 300, 560, 820, 1080)


def _crowd(astronaut: np.ndarray, height: int, shift: int = 0) -> np.ndarray:
    """A 1280x720 picture of grass with five astronauts `height` px tall in a row, shifted
    right by `shift` px, at the engine's analysis size (640x360)."""
    from skimage import data

    ground = np.asarray(Image.fromarray(data.grass()).convert("RGB").resize((1280, 720))).copy()
    small = np.asarray(Image.fromarray(astronaut).resize((height, height)))
    for left in LEFTS:
        ground[300 : 300 + height, left + shift : left + shift + height] = small
    return np.asarray(Image.fromarray(ground).resize((640, 360)))


def _people(result_boxes: list[tuple[str, float]]) -> int:
    return sum(1 for label, _ in result_boxes if label == "Person")


@pytest.fixture(scope="module")
def detector(object_model_dir: Path) -> ObjectDetector:
    found = ObjectDetector()
    found.load(object_model_dir)
    return found


def test_people_40_px_tall_in_a_wide_frame_are_found_through_tiles(
    object_model_dir: Path, detector: ObjectDetector, photo
) -> None:
    frame = _crowd(photo("astronaut"), 80)  # 40 px tall in the analysed 640x360 frame
    whole = CocoModel(object_model_dir).detect(frame)
    assert not [h for h in whole if h.label == "Person"]  # the failure: letterboxed, none
    result = detector.detect(frame, SampleContext(0, True, 0, picture=thumbnail(frame)))
    people = [d for d in result.detections if d.label == "Person"]
    assert people and len(people[0].boxes) == len(LEFTS)  # one each, none twice
    lefts = sorted(round(box.left * 1280) for box, _ in people[0].boxes)
    assert all(abs(found - left) < 40 for found, left in zip(lefts, LEFTS, strict=True))
    assert detector.tiled_runs == 1


def test_tracks_keep_one_id_per_person_and_count_distinct_people(
    object_model_dir: Path, photo
) -> None:
    """Five people walking right for six samples are five tracks, every sample's boxes
    carry them, and the boxes follow the people."""
    detector = ObjectDetector()
    detector.load(object_model_dir)
    astronaut = photo("astronaut")
    per_sample: list[dict[int, float]] = []
    for i in range(6):
        frame = _crowd(astronaut, 80, shift=16 * i)
        ctx = SampleContext(500 * i, i == 0, 0, picture=thumbnail(frame))
        result = detector.detect(frame, ctx)
        (people,) = [d for d in result.detections if d.label == "Person"]
        assert len(people.tracks) == len(people.boxes)  # every box has its track
        per_sample.append(
            {t: box.left for (box, _), t in zip(people.boxes, people.tracks, strict=True)}
        )
    distinct = set().union(*per_sample)
    assert len(distinct) == len(LEFTS), per_sample
    first, last = per_sample[0], per_sample[-1]
    for track in distinct:
        assert last[track] > first[track]  # the same person, further right


def test_a_missed_object_coasts_one_sample_across_a_big_change_and_none_across_a_cut(
    object_model_dir: Path, photo
) -> None:
    cat, cup = photo("chelsea"), photo("coffee")

    def run(cut: bool) -> list[list[str]]:
        detector = ObjectDetector()
        detector.load(object_model_dir)
        detector.detect(cat, SampleContext(0, True, 0, picture=thumbnail(cat)))
        labels = []
        for ms, is_cut in ((500, cut), (1000, False)):
            result = detector.detect(cup, SampleContext(ms, is_cut, 0, picture=thumbnail(cup)))
            labels.append(sorted(d.label for d in result.detections))
        return labels

    # the picture replaced without a cut (a fast pan): the cat stays one sample at its
    # predicted box, then it is gone
    assert run(cut=False) == [["Cat", "Cup"], ["Cup"]]
    assert run(cut=True) == [["Cup"], ["Cup"]]


def test_every_object_sample_carries_its_tracked_box(
    object_model_dir: Path, tmp_path: Path
) -> None:
    """Through the whole engine: the astronaut is one tracked person in every sample she
    is claimed in, the cup one tracked cup, and the cup's roll-up (Kitchenware) carries
    the cup's track, so a count of kitchenware counts it once."""
    from streambet.timeline import Timeline
    from streambet.vision.backends import AnalysisOptions
    from streambet.vision.backends.local.engine import LocalEngine
    from tests.support.clips import make_clip

    clip = make_clip(tmp_path / "a.mp4", [("astronaut", 4), ("coffee", 4)], fps=10, size=(960, 540))
    timeline: Timeline = LocalEngine(model_dir=object_model_dir).analyze(
        clip, AnalysisOptions(min_confidence=20)
    )

    def tracks(name: str, start: int, end: int) -> list[set[int]]:
        return [
            {i.track for i in s.instances if i.track is not None}
            for s in timeline.samples
            if s.name == name and start <= s.timestamp_ms < end
        ]

    person, cup = tracks("Person", 0, 4000), tracks("Cup", 4000, 8000)
    assert person and all(len(t) == 1 for t in person)  # a tracked box in every sample
    assert cup and all(len(t) == 1 for t in cup)
    (astronaut,), (mug,) = set.union(*person), set.union(*cup)
    assert astronaut != mug
    assert set.union(*tracks("Kitchenware", 4000, 8000)) == {mug}


def test_a_cat_in_black_and_white_is_an_animal_and_never_a_confident_dog(
    object_model_dir: Path, tmp_path: Path, photo
) -> None:
    """Grey footage: on the grey chelsea the object detector says Dog 0.50 and Cat 0.26
    (colour: Cat 0.47). The engine finds the cat (at 50+; agreement with the classifier
    does not yet lift it to 80) and claims no dog."""
    from streambet.vision.backends import AnalysisOptions
    from streambet.vision.backends.local.engine import LocalEngine
    from streambet.vision.pipeline.taxonomy import get_taxonomy
    from tests.support.clips import make_clip

    cat = photo("chelsea")
    grey = np.repeat(cat.mean(axis=2, keepdims=True), 3, axis=2).astype(np.uint8)
    clip = make_clip(tmp_path / "grey.mp4", [(grey, 4)], fps=10, size=(960, 540))
    timeline = LocalEngine(model_dir=object_model_dir).analyze(
        clip, AnalysisOptions(min_confidence=20)
    )
    tax = get_taxonomy()
    best: dict[str, float] = {}
    for s in timeline.samples:
        best[s.name] = max(best.get(s.name, 0.0), s.confidence)
    assert max(c for n, c in best.items() if tax.is_a(n, "Cat")) >= 50
    assert not [n for n, c in best.items() if c >= 50 and tax.is_a(n, "Canine")], best
