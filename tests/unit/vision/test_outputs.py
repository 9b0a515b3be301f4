from __future__ import annotations

import pytest

from streambet.domain.suggestions import betting_suggestion, suggest
from streambet.timeline import (
    BoundingBox,
    Instance,
    LabelSample,
    Shot,
    TextDetection,
    Timeline,
    TranscriptWord,
    VideoMetadata,
)
from streambet.vision.outputs import to_rekognition, to_seed, to_segments
from streambet.vision.pipeline.taxonomy import get_taxonomy

FACE_BOX = BoundingBox(0.4, 0.2, 0.1, 0.15)
WHOLE = BoundingBox(0.0, 0.0, 1.0, 1.0)


def _timeline() -> Timeline:
    tax = get_taxonomy()
    samples = [
        LabelSample(0, "Cat", 91.5, 95.0, (Instance(WHOLE, 95.0),), "classifier"),
        LabelSample(500, "Cat", 90.0, 95.0, (Instance(WHOLE, 90.0),), "classifier"),
        LabelSample(1000, "Person", 88.0, 88.0, (Instance(FACE_BOX, 88.0),), "faces"),
        LabelSample(1500, "Person", 86.0, 88.0, (Instance(FACE_BOX, 86.0),), "faces"),
        LabelSample(3000, "Cat", 70.0, 70.0, (), "classifier"),
    ]
    return Timeline(
        video=VideoMetadata("h264", 4000, "QuickTime / MOV", 25.0, 640, 360, "LIMITED"),
        model_version="test-1",
        sample_interval_ms=500,
        analysed_from_ms=0,
        analysed_until_ms=4000,
        samples=samples,
        labels={n: tax.info(n) for n in ("Cat", "Person")},
        shots=[
            Shot("SHOT", 0, 1000, 100.0, 0),
            Shot("SHOT", 1000, 4000, 80.0, 1),
            Shot("BLACK_FRAMES", 2000, 2200, 100.0, 0),
        ],
        texts=[TextDetection(1000, "MUN 2 - 1 LIV", 97.0, BoundingBox(0.02, 0.04, 0.3, 0.1))],
    )


def test_rekognition_timestamps_shape_field_by_field() -> None:
    body = to_rekognition(_timeline(), aggregate_by="TIMESTAMPS")
    assert body["JobStatus"] == "SUCCEEDED"
    assert body["LabelModelVersion"] == "test-1"
    assert body["VideoMetadata"] == {
        "Codec": "h264",
        "DurationMillis": 4000,
        "Format": "QuickTime / MOV",
        "FrameRate": 25.0,
        "FrameHeight": 360,
        "FrameWidth": 640,
        "ColorRange": "LIMITED",
    }
    assert [(e["Timestamp"], e["Label"]["Name"]) for e in body["Labels"]] == [
        (0, "Cat"),
        (500, "Cat"),
        (1000, "Person"),
        (1500, "Person"),
        (3000, "Cat"),
    ]
    cat = body["Labels"][0]["Label"]
    assert cat["Confidence"] == 91.5
    assert cat["Instances"] == []  # a whole-frame score is not a located instance
    assert cat["Parents"] == [{"Name": "Feline"}, {"Name": "Mammal"}, {"Name": "Animal"}]
    assert {"Name": "Kitten"} in cat["Aliases"]
    assert cat["Categories"] == [{"Name": "Animals and Pets"}]
    person = body["Labels"][2]["Label"]
    assert person["Instances"] == [
        {"BoundingBox": {"Width": 0.1, "Height": 0.15, "Left": 0.4, "Top": 0.2}, "Confidence": 88.0}
    ]
    assert person["Categories"] == [{"Name": "Person Description"}]


def test_rekognition_segments_shape() -> None:
    body = to_rekognition(_timeline(), aggregate_by="SEGMENTS")
    segs = [
        (
            e["Label"]["Name"],
            e["StartTimestampMillis"],
            e["EndTimestampMillis"],
            e["DurationMillis"],
            e["Label"]["Confidence"],
        )
        for e in body["Labels"]
    ]
    assert segs == [
        ("Cat", 0, 1000, 1000, 91.5),
        ("Person", 1000, 2000, 1000, 88.0),
        ("Cat", 3000, 3500, 500, 70.0),
    ]
    for entry in body["Labels"]:
        assert "Instances" not in entry["Label"]
        assert entry["Timestamp"] == entry["StartTimestampMillis"]


def test_rekognition_sort_by_name_and_bad_aggregation() -> None:
    body = to_rekognition(_timeline(), sort_by="NAME")
    assert [e["Label"]["Name"] for e in body["Labels"]] == ["Cat", "Cat", "Cat", "Person", "Person"]
    with pytest.raises(ValueError):
        to_rekognition(_timeline(), aggregate_by="FRAMES")


def test_seed_shape() -> None:
    tl = _timeline()
    body = to_seed(tl, job_id="job-1", betting_suggestion=betting_suggestion(suggest(tl)))
    assert body["status"] == "success" and body["job_id"] == "job-1"
    assert body["total_labels"] == 2
    assert body["labels"][0] == {
        "label": "Cat",
        "confidence": 91.5,
        "timestamps": [0.0, 0.5, 3.0],
        "category": "Animals and Pets",
    }
    assert [e["label"] for e in body["activity_labels"]] == ["Person"]
    suggestion = body["betting_suggestion"]  # the first suggestion: the cat, seen clearly
    assert suggestion["detected_activity"] == "Cat"
    assert suggestion["suggestion"] == "Will a cat appear?"
    assert body["video_metadata"] == {"duration_seconds": 4.0, "format": "QuickTime / MOV"}


def test_seed_with_nothing_found() -> None:
    tl = _timeline()
    tl.samples = []
    body = to_seed(tl, job_id="j", betting_suggestion=betting_suggestion(suggest(tl)))
    assert body["total_labels"] == 0 and body["labels"] == []
    assert body["betting_suggestion"]["suggestion"] is None


def test_segments_shape() -> None:
    body = to_segments(_timeline())
    shots = [s for s in body["Segments"] if s["Type"] == "SHOT"]
    assert [
        (s["StartTimestampMillis"], s["EndTimestampMillis"], s["ShotSegment"]["Index"])
        for s in shots
    ] == [(0, 1000, 0), (1000, 4000, 1)]
    assert shots[1]["StartTimecodeSMPTE"] == "00:00:01:00"
    cue = next(s for s in body["Segments"] if s["Type"] == "TECHNICAL_CUE")
    assert cue["TechnicalCueSegment"] == {"Type": "BlackFrames", "Confidence": 100.0}
    assert cue["DurationMillis"] == 200
    text = body["TextDetections"][0]
    assert text["Timestamp"] == 1000
    assert text["TextDetection"]["DetectedText"] == "MUN 2 - 1 LIV"
    assert text["TextDetection"]["Geometry"]["BoundingBox"]["Left"] == 0.02
    assert body["Transcript"] == {"CoveredUntilMillis": 0, "Words": []}


def test_segments_carry_the_transcript() -> None:
    tl = _timeline()
    tl.words = [TranscriptWord("goal", 2100, 2400, 93.5)]
    tl.speech_until_ms = 4000
    assert to_segments(tl)["Transcript"] == {
        "CoveredUntilMillis": 4000,
        "Words": [
            {
                "Content": "goal",
                "StartTimestampMillis": 2100,
                "EndTimestampMillis": 2400,
                "Confidence": 93.5,
            }
        ],
    }


def test_timeline_json_round_trip() -> None:
    tl = _timeline()
    assert Timeline.from_dict(tl.to_dict()).to_dict() == tl.to_dict()


def test_rekognition_min_confidence() -> None:
    body = to_rekognition(_timeline(), min_confidence=89)
    assert [(e["Timestamp"], e["Label"]["Name"]) for e in body["Labels"]] == [
        (0, "Cat"),
        (500, "Cat"),
    ]


def test_rekognition_pagination() -> None:
    tl = _timeline()
    first = to_rekognition(tl, max_results=2)
    assert [e["Timestamp"] for e in first["Labels"]] == [0, 500]
    second = to_rekognition(tl, max_results=2, next_token=first["NextToken"])
    assert [e["Timestamp"] for e in second["Labels"]] == [1000, 1500]
    last = to_rekognition(tl, max_results=2, next_token=second["NextToken"])
    assert [e["Timestamp"] for e in last["Labels"]] == [3000] and "NextToken" not in last
    for bad in ({"max_results": 0}, {"next_token": "x"}, {"next_token": "99"}):
        with pytest.raises(ValueError):
            to_rekognition(tl, **bad)  # type: ignore[arg-type]
