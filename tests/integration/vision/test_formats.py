"""Containers and codecs the issue names, encoded here with the bundled FFmpeg, decode with
correct metadata and presentation-time samples; shots survive camera motion."""

from __future__ import annotations

from pathlib import Path

import pytest

from streambet.vision.backends import AnalysisOptions
from streambet.vision.backends.local.engine import LocalEngine
from streambet.vision.pipeline.decode import DecodeStats, decode_frames
from streambet.vision.pipeline.probe import probe_video
from tests.support.clips import make_clip

CASES = [
    ("clip.mp4", "libx264", "h264"),
    ("clip.mov", "libx264", "h264"),
    ("clip.mkv", "libx265", "hevc"),
    ("clip.webm", "libvpx-vp9", "vp9"),
    ("clip.mkv", "libsvtav1", "av1"),
    ("clip.avi", "mpeg4", "mpeg4"),
]


@pytest.mark.parametrize(
    ("name", "encoder", "codec"), CASES, ids=[c[2] + "-" + c[0] for c in CASES]
)
def test_container_and_codec(tmp_path: Path, name: str, encoder: str, codec: str) -> None:
    options = {"crf": "45", "preset": "11"} if encoder == "libsvtav1" else None
    clip = make_clip(
        tmp_path / name,
        [("coffee", 1), ("rocket", 1)],
        fps=10,
        size=(320, 240),
        codec=encoder,
        options=options,
    )
    meta = probe_video(clip)
    assert meta.codec == codec
    assert (meta.frame_width, meta.frame_height) == (320, 240)
    assert abs(meta.duration_ms - 2000) <= 100
    stats = DecodeStats()
    sampled = [
        f.timestamp_ms
        for f in decode_frames(clip, sample_interval_ms=500, stats=stats)
        if f.rgb is not None
    ]
    assert sampled == [0, 500, 1000, 1500]
    assert stats.frames == 20 and stats.skipped_packets == 0


def test_shots_survive_a_moving_camera(tmp_path: Path, model_dir: Path) -> None:
    clip = make_clip(
        tmp_path / "zoom.mp4",
        [("coffee", 3), ("chelsea", 3), ("astronaut", 3), ("rocket", 3)],
        fps=25,
        motion=True,
    )
    timeline = LocalEngine(model_dir=model_dir, detectors=()).analyze(clip, AnalysisOptions())
    starts = [s.start_ms for s in timeline.shots if s.kind == "SHOT"]
    assert len(starts) == 4
    for found, cut in zip(starts, (0, 3000, 6000, 9000), strict=True):
        assert abs(found - cut) <= 500
