"""A Matroska file written live states no duration in its header; its length is measured
(packets, then frames while decoding) and the duration limit still holds (issue 12,
item 12)."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import av
import numpy as np
import pytest
from flask import Flask

from streambet import create_app
from streambet.vision.errors import VideoTooLarge
from streambet.vision.pipeline.decode import DecodeStats, decode_frames
from streambet.vision.pipeline.probe import probe_video
from tests.support.api import make_actor


def _live_mkv(path: Path, seconds: int, fps: int = 5) -> Path:
    """As a recorder writes a stream: `live` leaves Duration (and cues) out."""
    with av.open(str(path), mode="w", format="matroska", options={"live": "1"}) as out:
        stream = out.add_stream("libx264", rate=fps)
        stream.width, stream.height, stream.pix_fmt = 64, 48, "yuv420p"
        for i in range(seconds * fps):
            frame = av.VideoFrame.from_ndarray(np.full((48, 64, 3), i % 255, np.uint8), "rgb24")
            frame.pts = i
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode(None):
            out.mux(packet)
    return path


@pytest.fixture(scope="module")
def two_minutes(tmp_path_factory: pytest.TempPathFactory) -> Path:
    clip = _live_mkv(tmp_path_factory.mktemp("live") / "live.mkv", 120)
    with av.open(str(clip)) as container:  # the premise: no duration anywhere in it
        assert container.duration is None and container.streams.video[0].duration is None
    return clip


def test_the_probe_measures_a_file_without_a_duration(two_minutes: Path) -> None:
    with pytest.raises(VideoTooLarge, match="more than 60 s"):
        probe_video(two_minutes, max_seconds=60)
    meta = probe_video(two_minutes, max_seconds=600)
    assert 119_000 <= meta.duration_ms <= 120_500


def test_decoding_stops_at_the_limit(two_minutes: Path) -> None:
    stats = DecodeStats()
    frames = decode_frames(two_minutes, sample_interval_ms=1000, stats=stats, max_ms=60_000)
    with pytest.raises(VideoTooLarge):
        for _ in frames:
            pass
    assert stats.last_timestamp_ms <= 61_000


@pytest.fixture
def short_limit(base_config: dict[str, Any], database_url: str) -> Iterator[Flask]:
    app = create_app({**base_config, "database_url": database_url, "max_video_seconds": 60})
    try:
        yield app
    finally:
        app.extensions["streambet"].close()


def test_an_upload_of_it_is_refused(short_limit: Flask, two_minutes: Path) -> None:
    operator = make_actor(short_limit, "operator")
    response = short_limit.test_client().post(
        "/api/analyze",
        data={"file": (io.BytesIO(two_minutes.read_bytes()), "live.mkv")},
        content_type="multipart/form-data",
        headers=operator.headers,
    )
    assert response.status_code == 413, response.get_json()
    assert response.get_json()["error"]["details"] == {"field": "file"}
