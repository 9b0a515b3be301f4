"""Decoding edge cases and every bad-input case of the issue, with files built here."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from streambet.vision.backends import AnalysisOptions
from streambet.vision.backends.local.engine import LocalEngine
from streambet.vision.errors import (
    EmptyFile,
    NotAVideo,
    NoVideoStream,
    TruncatedVideo,
    VideoTooLarge,
)
from streambet.vision.pipeline.decode import DecodeStats, decode_frames
from tests.support.clips import make_audio_only, make_clip, make_png_as_mp4, make_vfr_clip

pytestmark = pytest.mark.slow


@pytest.fixture(autouse=True)
def private_tempdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Every temporary file the code makes lands here; it must be empty afterwards."""
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    yield scratch
    assert list(scratch.iterdir()) == []


def _sampled(path: Path, interval: int = 500) -> tuple[list[int], DecodeStats]:
    stats = DecodeStats()
    frames = decode_frames(path, sample_interval_ms=interval, stats=stats)
    return [f.timestamp_ms for f in frames if f.rgb is not None], stats


def test_variable_frame_rate_keeps_presentation_times(tmp_path: Path) -> None:
    clip = make_vfr_clip(
        tmp_path / "vfr.mkv",
        [("coffee", 0.0), ("coffee", 0.1), ("chelsea", 1.0), ("chelsea", 2.5), ("rocket", 2.6)],
    )
    times, stats = _sampled(clip)
    assert times == [0, 1000, 2500]
    assert stats.frames == 5 and stats.last_timestamp_ms == 2600


def test_stream_that_does_not_start_at_zero(tmp_path: Path, engine: LocalEngine) -> None:
    clip = make_clip(
        tmp_path / "late.mkv", [("coffee", 2), ("chelsea", 2)], fps=25, start_seconds=5
    )
    times, stats = _sampled(clip)
    assert stats.first_pts_ms == 5000
    assert times[:3] == [0, 520, 1000]  # first frame at or after each 500 ms mark
    timeline = engine.analyze(clip, AnalysisOptions())
    shots = [s for s in timeline.shots if s.kind == "SHOT"]
    assert [s.start_ms for s in shots] == [0, 2000]
    assert timeline.video.duration_ms == 4000


def test_corrupt_packets_mid_stream_are_skipped_and_counted(
    tmp_path: Path, engine: LocalEngine
) -> None:
    clip = make_clip(tmp_path / "bad.ts", [("coffee", 3), ("chelsea", 3)], fps=10)
    data = bytearray(clip.read_bytes())
    rng = np.random.default_rng(1)
    for frac in (0.45, 0.6):
        at = int(len(data) * frac)
        data[at : at + 3000] = rng.integers(0, 256, 3000, dtype=np.uint8).tobytes()
    clip.write_bytes(bytes(data))
    timeline = engine.analyze(clip, AnalysisOptions())
    assert timeline.skipped_packets > 0
    assert timeline.analysed_until_ms >= 5500
    assert any(s.name == "Cat" for s in timeline.samples)


def _analyze(engine: LocalEngine, path: Path, **opts: int) -> None:
    engine.analyze(path, AnalysisOptions(**opts))


def test_empty_file(tmp_path: Path, engine: LocalEngine) -> None:
    path = tmp_path / "empty.mp4"
    path.write_bytes(b"")
    with pytest.raises(EmptyFile, match="empty"):
        _analyze(engine, path)


def test_not_a_video(tmp_path: Path, engine: LocalEngine) -> None:
    path = tmp_path / "notes.mp4"
    path.write_text("these are not the frames you are looking for\n" * 50)
    with pytest.raises(NotAVideo):
        _analyze(engine, path)


def test_image_renamed_mp4(tmp_path: Path, engine: LocalEngine) -> None:
    with pytest.raises(NotAVideo, match="still image"):
        _analyze(engine, make_png_as_mp4(tmp_path / "photo.mp4"))


def test_audio_only(tmp_path: Path, engine: LocalEngine) -> None:
    with pytest.raises(NoVideoStream, match="audio"):
        _analyze(engine, make_audio_only(tmp_path / "sound.m4a"))


def test_truncated_mp4_without_index(tmp_path: Path, engine: LocalEngine) -> None:
    clip = make_clip(tmp_path / "cut.mp4", [("coffee", 2), ("chelsea", 2)], fps=10)
    clip.write_bytes(clip.read_bytes()[: clip.stat().st_size // 2])
    with pytest.raises(TruncatedVideo, match="incomplete"):
        _analyze(engine, clip)


def test_truncated_matroska_stops_early(tmp_path: Path, engine: LocalEngine) -> None:
    clip = make_clip(tmp_path / "cut.mkv", [("coffee", 4), ("chelsea", 4)], fps=10)
    clip.write_bytes(clip.read_bytes()[: clip.stat().st_size // 2])
    with pytest.raises(TruncatedVideo, match="stops at"):
        _analyze(engine, clip)


def test_absurd_dimensions_refused_before_decoding(tmp_path: Path, engine: LocalEngine) -> None:
    clip = make_clip(tmp_path / "big.mp4", [("coffee", 1)], fps=10)
    with pytest.raises(VideoTooLarge, match="640x360"):
        _analyze(engine, clip, max_pixels=320 * 240)


def test_absurd_duration_refused_before_decoding(tmp_path: Path, engine: LocalEngine) -> None:
    clip = make_clip(tmp_path / "long.mp4", [("coffee", 3)], fps=10)
    with pytest.raises(VideoTooLarge, match="lasts"):
        _analyze(engine, clip, max_seconds=2)


def test_missing_file(tmp_path: Path, engine: LocalEngine) -> None:
    with pytest.raises(NotAVideo, match="does not exist"):
        _analyze(engine, tmp_path / "nope.mp4")


def test_reference_frames_only_keeps_real_timestamps_near_the_marks(tmp_path: Path) -> None:
    clip = make_clip(tmp_path / "30.mp4", [("coffee", 2), ("chelsea", 2)], fps=30)
    stats = DecodeStats()
    frames = list(
        decode_frames(clip, sample_interval_ms=500, stats=stats, reference_frames_only=True)
    )
    sampled = [f.timestamp_ms for f in frames if f.rgb is not None]
    assert len(sampled) == 8 and sampled[0] == 0
    for mark, ts in zip(range(0, 4000, 500), sampled, strict=True):
        assert 0 <= ts - mark <= 100
        assert abs(round(ts * 30 / 1000) * 1000 / 30 - ts) <= 1  # a real 30 fps frame time
    assert stats.frames < 120  # non-reference frames were not decoded
