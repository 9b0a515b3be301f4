"""The hand-written recorded GetLabelDetection responses -> Timeline (no I/O beyond
reading the fixture files)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from streambet.timeline import Timeline
from streambet.vision.backends.rekognition.mapping import timeline_from_pages
from streambet.vision.backends.rekognition.recorded import (
    load_recorded_pages,
    load_recorded_timeline,
)

FIXTURES = Path(__file__).parents[2] / "fixtures" / "rekognition"
TIMESTAMPS = FIXTURES / "get_label_detection_timestamps.json"
SEGMENTS = FIXTURES / "get_label_detection_segments.json"


def test_recorded_timestamps_response_maps_every_field() -> None:
    tl = load_recorded_timeline(TIMESTAMPS)
    assert tl.engine == "rekognition" and tl.model_version == "3.0"
    assert (tl.video.codec, tl.video.duration_ms, tl.video.frame_width) == ("h264", 12480, 1280)
    assert tl.video.frame_rate == pytest.approx(29.97)
    assert (tl.analysed_from_ms, tl.analysed_until_ms) == (0, 12480)
    assert tl.sample_interval_ms == 1000
    dogs = tl.samples_of("Dog")
    assert [(s.timestamp_ms, s.confidence) for s in dogs] == [
        (4000, 91.3),
        (5000, 96.2),
        (6000, 94.8),
    ]
    box = dogs[1].instances[0].box
    assert (box.left, box.top, box.width, box.height) == (0.55, 0.61, 0.18, 0.22)
    assert dogs[1].instances[0].confidence == pytest.approx(95.8)
    assert tl.info("Dog").parents == ("Pet", "Mammal", "Animal")
    assert tl.info("Dog").aliases == ("Canine",)
    assert tl.info("Car").categories == ("Vehicles and Automotive",)
    assert all(s.instances == () for s in tl.samples_of("Outdoors"))
    assert len(tl.samples_of("Person")) == 13
    assert Timeline.from_dict(tl.to_dict()).to_dict() == tl.to_dict()


def test_min_confidence_drops_weak_labels() -> None:
    tl = load_recorded_timeline(TIMESTAMPS, min_confidence=80.0)
    assert tl.samples_of("Car") == [] and "Car" not in tl.labels
    assert len(tl.samples_of("Dog")) == 3


def test_recorded_segments_response_fills_each_segment() -> None:
    tl = load_recorded_timeline(SEGMENTS, sample_interval_ms=1000)
    assert [s.timestamp_ms for s in tl.samples_of("Dog")] == [4000, 5000, 6000]
    assert [s.timestamp_ms for s in tl.samples_of("Car")] == [8000]  # zero-length segment
    assert len(tl.samples_of("Person")) == 13
    assert {s.confidence for s in tl.samples_of("Dog")} == {96.2}
    assert tl.sample_interval_ms == 1000


def test_pages_are_concatenated_and_duplicates_keep_the_best() -> None:
    page = json.loads(TIMESTAMPS.read_text())
    first, second = dict(page), dict(page)
    first["Labels"], second["Labels"] = page["Labels"][:20], page["Labels"][20:]
    second.pop("VideoMetadata")
    again = timeline_from_pages([first, second])
    assert again.to_dict() == load_recorded_timeline(TIMESTAMPS).to_dict()
    doubled = timeline_from_pages([page, page])
    assert len(doubled.samples) == len(again.samples)
    person = doubled.samples_of("Person")[0]
    assert len(person.instances) == 2  # instances of both copies kept


def test_loader_refuses_what_is_not_a_finished_response(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"Labels": []}))
    with pytest.raises(ValueError, match="JobStatus"):
        load_recorded_pages(bad)
    bad.write_text(json.dumps({"JobStatus": "IN_PROGRESS"}))
    with pytest.raises(ValueError, match="IN_PROGRESS"):
        load_recorded_pages(bad)
