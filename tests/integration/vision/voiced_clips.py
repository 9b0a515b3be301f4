"""Clips of packaged photos WITH a sound track: an espeak-ng voice over the pictures."""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
from matplotlib import cbook
from PIL import Image

from streambet.services.demo_footage import fit
from tests.integration.audio.sounds import Samples
from tests.support.clips import photo


def two_people() -> np.ndarray:
    """The astronaut beside Grace Hopper: two people, two faces, in one picture."""
    with cbook.get_sample_data("grace_hopper.jpg") as fh:
        hopper = np.asarray(Image.open(fh).convert("RGB").resize((427, 512)))
    return np.concatenate([photo("astronaut"), hopper], axis=1)


def make_voiced_clip(
    path: Path,
    segments: Sequence[tuple[np.ndarray, float]],
    audio: Samples,
    rate: int,
    *,
    fps: int = 10,
    size: tuple[int, int] = (640, 360),
) -> Path:
    """H.264 pictures (each segment one shot) with a mono AAC track of `audio` at `rate`."""
    with av.open(str(path), mode="w") as out:
        video = out.add_stream("libx264", rate=fps)
        video.width, video.height, video.pix_fmt = size[0], size[1], "yuv420p"
        video.options = {"preset": "veryfast"}
        sound = out.add_stream("aac", rate=rate)
        sound.layout = "mono"
        for image, seconds in segments:
            rgb = fit(image, size)
            for _ in range(round(seconds * fps)):
                out.mux(video.encode(av.VideoFrame.from_ndarray(rgb, format="rgb24")))
        out.mux(video.encode(None))
        for begin in range(0, audio.size, 1024):
            frame = av.AudioFrame.from_ndarray(
                np.ascontiguousarray(audio[None, begin : begin + 1024]),
                format="fltp",
                layout="mono",
            )
            frame.sample_rate = rate
            frame.time_base = Fraction(1, rate)
            frame.pts = begin
            out.mux(sound.encode(frame))
        out.mux(sound.encode(None))
    return path
