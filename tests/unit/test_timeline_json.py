"""The timeline's JSON (what the analysis row stores): pydantic does the round trip, the
shape is the one the hand-written code wrote, and rows stored by older code still load."""

from __future__ import annotations

import json
from typing import Any

import pytest

from streambet.timeline import (
    BoundingBox,
    Instance,
    LabelInfo,
    LabelSample,
    Shot,
    TextDetection,
    Timeline,
    TranscriptWord,
    VideoMetadata,
)


def _rich() -> Timeline:
    return Timeline(
        video=VideoMetadata("h264", 8000, "QuickTime / MOV", 29.97, 1280, 720, "FULL"),
        model_version="local-test-1",
        sample_interval_ms=500,
        analysed_from_ms=0,
        analysed_until_ms=7500,
        samples=[
            LabelSample(
                0,
                "Cat",
                91.5,
                93.25,
                (Instance(BoundingBox(0.1, 0.2, 0.3, 0.4), 88.0),),
                "classifier",
            ),
            LabelSample(500, "Person", 70.5, 72.5),
        ],
        labels={
            "Cat": LabelInfo("Cat", ("Animal", "Pet"), ("Kitty",), ("Animals and Pets",)),
            "Person": LabelInfo("Person"),
        },
        shots=[Shot("SHOT", 0, 4000, 99.0, 0), Shot("BLACK_FRAMES", 4000, 4500, 95.5, 1)],
        texts=[
            TextDetection(1000, "GOAL", 97.0, BoundingBox(0.02, 0.05, 0.5, 0.1), 3000),
            TextDetection(2000, "x", 60.0),
        ],
        engine="local",
        skipped_packets=2,
        words=[TranscriptWord("goal", 2860, 3600, 96.7)],
        speech_until_ms=8000,
    )


# What the hand-written to_dict methods wrote for _rich(), key order included: rows in
# every database hold this shape (plus an instance's "track", added with object tracks, and
# the texts' end_ms; rows stored before them lack the keys and load as untracked / open).
STORED = """{"video": {"codec": "h264", "duration_ms": 8000, "format": "QuickTime / MOV",
"frame_rate": 29.97, "frame_width": 1280, "frame_height": 720, "color_range": "FULL"},
"model_version": "local-test-1", "sample_interval_ms": 500, "analysed_from_ms": 0,
"analysed_until_ms": 7500, "samples": [{"timestamp_ms": 0, "name": "Cat", "confidence": 91.5,
"top_confidence": 93.25, "instances": [{"box": {"left": 0.1, "top": 0.2, "width": 0.3,
"height": 0.4}, "confidence": 88.0, "track": null}], "source": "classifier"}, {"timestamp_ms": 500,
"name": "Person", "confidence": 70.5, "top_confidence": 72.5, "instances": [], "source": ""}],
"labels": {"Cat": {"name": "Cat", "parents": ["Animal", "Pet"], "aliases": ["Kitty"],
"categories": ["Animals and Pets"]}, "Person": {"name": "Person", "parents": [],
"aliases": [], "categories": []}}, "shots": [{"kind": "SHOT", "start_ms": 0, "end_ms": 4000,
"confidence": 99.0, "index": 0}, {"kind": "BLACK_FRAMES", "start_ms": 4000, "end_ms": 4500,
"confidence": 95.5, "index": 1}], "texts": [{"timestamp_ms": 1000, "text": "GOAL",
"confidence": 97.0, "box": {"left": 0.02, "top": 0.05, "width": 0.5, "height": 0.1},
"end_ms": 3000}, {"timestamp_ms": 2000, "text": "x", "confidence": 60.0, "box": null,
"end_ms": null}], "engine": "local",
"skipped_packets": 2, "words": [{"word": "goal", "start_ms": 2860, "end_ms": 3600,
"probability": 96.7}], "speech_until_ms": 8000}"""


def test_the_stored_shape_is_unchanged_key_order_included() -> None:
    dumped = _rich().to_dict()
    assert json.dumps(dumped) == json.dumps(json.loads(STORED))


def test_instances_stored_before_tracks_load_as_untracked() -> None:
    old = json.loads(STORED)
    del old["samples"][0]["instances"][0]["track"]
    timeline = Timeline.from_dict(old)
    assert timeline.samples[0].instances[0].track is None
    assert timeline == _rich()


def test_round_trip_gives_equal_dataclasses() -> None:
    timeline = _rich()
    again = Timeline.from_dict(json.loads(json.dumps(timeline.to_dict())))
    assert again == timeline
    assert isinstance(again.samples[0].instances, tuple)
    assert isinstance(again.samples[0].instances[0].box, BoundingBox)
    assert again.labels["Cat"].parents == ("Animal", "Pet")


def _oldest(data: dict[str, Any]) -> dict[str, Any]:
    """The shape the first engine stored: no top_confidence, words, speech coverage,
    skipped packets, engine, colour range, shot indexes or sample sources."""
    for key in ("words", "speech_until_ms", "skipped_packets", "engine"):
        del data[key]
    del data["video"]["color_range"]
    for s in data["samples"]:
        del s["top_confidence"], s["source"]
    for shot in data["shots"]:
        del shot["index"]
    for text in data["texts"]:
        del text["end_ms"]
    return data


def test_a_row_stored_by_older_code_still_loads() -> None:
    old = Timeline.from_dict(_oldest(json.loads(STORED)))
    assert old.words == [] and old.speech_until_ms == 0 and old.skipped_packets == 0
    assert old.engine == "local" and old.video.color_range == "LIMITED"
    # a sample without top_confidence: its own (smoothed) confidence stands in
    assert [(s.confidence, s.top_confidence, s.source) for s in old.samples] == [
        (91.5, 91.5, ""),
        (70.5, 70.5, ""),
    ]
    assert [s.index for s in old.shots] == [0, 0]
    assert [t.end_ms for t in old.texts] == [None, None]


def test_parts_load_alone_too() -> None:
    assert LabelSample.from_dict({"timestamp_ms": 5, "name": "Dog", "confidence": 60}) == (
        LabelSample(5, "Dog", 60.0, 60.0)
    )
    assert BoundingBox(0.1, 0.2, 0.3, 0.4).to_dict() == {
        "left": 0.1,
        "top": 0.2,
        "width": 0.3,
        "height": 0.4,
    }


def test_a_malformed_row_is_refused_not_half_loaded() -> None:
    data = json.loads(STORED)
    data["samples"][0]["timestamp_ms"] = "soon"
    with pytest.raises(ValueError, match="timestamp_ms"):
        Timeline.from_dict(data)
