"""Evidence stills: the frame nearest each requested time, from real clips whose shots are
known photos, including streams that do not start at zero and sparse keyframes."""

from __future__ import annotations

import io
from pathlib import Path

import av.error
import numpy as np
import pytest
from PIL import Image

from streambet.services.demo_footage import fit
from streambet.vision.pipeline.frames import extract_frames
from tests.support.clips import make_clip, photo

SHOTS = ("coffee", "chelsea", "astronaut", "rocket")  # 3 s each, 10 fps


def _closest_photo(jpeg: bytes) -> tuple[str, float]:
    """The shot photo the JPEG shows and the mean absolute pixel difference to it."""
    image = Image.open(io.BytesIO(jpeg))
    assert image.format == "JPEG"
    got = np.asarray(image.convert("RGB"), np.float32)
    diffs = {}
    for name in SHOTS:
        source = Image.fromarray(fit(photo(name), (640, 360))).resize(image.size)
        diffs[name] = float(np.abs(np.asarray(source, np.float32) - got).mean())
    best = min(diffs, key=diffs.__getitem__)
    return best, diffs[best]


@pytest.fixture(scope="module", params=[0.0, 5.0], ids=["starts-at-zero", "starts-at-5s"])
def clip(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    # A keyframe every second, so times far apart are reached by seeking.
    path = tmp_path_factory.mktemp("frames") / f"shots-{request.param}.mp4"
    return make_clip(
        path, [(n, 3) for n in SHOTS], fps=10, start_seconds=request.param, options={"g": "10"}
    )


def test_each_time_shows_the_photo_on_screen_then(clip: Path) -> None:
    wanted = {100: "coffee", 2900: "coffee", 3000: "chelsea", 7500: "astronaut", 11900: "rocket"}
    frames = list(extract_frames(clip, list(wanted)))
    assert [ms for ms, _ in frames] == sorted(wanted)
    for ms, jpeg in frames:
        shown, diff = _closest_photo(jpeg)
        assert shown == wanted[ms], ms
        assert diff < 12, (ms, diff)


def test_the_nearest_frame_wins_around_a_cut(clip: Path) -> None:
    # Frames every 100 ms; the cut to the cat is at 3000 ms.
    frames = dict(extract_frames(clip, [2940, 2960, 5990]))
    assert _closest_photo(frames[2940])[0] == "coffee"  # 2900 is nearer than 3000
    assert _closest_photo(frames[2960])[0] == "chelsea"  # 3000 is nearer than 2900
    assert _closest_photo(frames[5990])[0] == "astronaut"


def test_duplicates_once_unsorted_ascending_past_the_end_last_frame(clip: Path) -> None:
    frames = list(extract_frames(clip, [9500, 200, 9500, 60_000, -5]))
    assert [ms for ms, _ in frames] == [0, 200, 9500, 60_000]
    assert _closest_photo(frames[-1][1])[0] == "rocket"
    assert _closest_photo(frames[0][1])[0] == "coffee"


def test_downscaled_keeping_aspect(clip: Path) -> None:
    ((_, small),) = extract_frames(clip, [1000], max_width=320, quality=60)
    ((_, full),) = extract_frames(clip, [1000], max_width=1280)
    assert Image.open(io.BytesIO(small)).size == (320, 180)
    assert Image.open(io.BytesIO(full)).size == (640, 360)  # never upscaled


def test_no_times_no_work_and_a_non_video_raises(tmp_path: Path) -> None:
    assert list(extract_frames(tmp_path / "absent.mp4", [])) == []
    with pytest.raises(av.error.FFmpegError):
        list(extract_frames(_text_file(tmp_path / "x.mp4"), [0]))


def _text_file(path: Path) -> Path:
    path.write_text("not a video\n" * 100)
    return path
