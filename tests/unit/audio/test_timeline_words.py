"""Spoken words ride in the timeline's JSON; timelines stored before them still load."""

from __future__ import annotations

from streambet.timeline import (
    Timeline,
    TranscriptWord,
    VideoMetadata,
)


def _timeline(words: list[TranscriptWord] | None = None) -> Timeline:
    timeline = Timeline(
        video=VideoMetadata("h264", 8000, "mp4", 25.0, 640, 360),
        model_version="test",
        sample_interval_ms=500,
    )
    timeline.words = words or []
    return timeline


def test_words_round_trip() -> None:
    words = [TranscriptWord("goal", 2860, 3600, 96.7), TranscriptWord("whistle", 4870, 5150, 98.9)]

    again = Timeline.from_dict(_timeline(words=words).to_dict())

    assert again.words == words
    assert again.to_dict()["words"][0] == {
        "word": "goal",
        "start_ms": 2860,
        "end_ms": 3600,
        "probability": 96.7,
    }


def test_a_timeline_stored_without_words_loads_with_none() -> None:
    stored = _timeline().to_dict()
    del stored["words"]

    assert Timeline.from_dict(stored).words == []
