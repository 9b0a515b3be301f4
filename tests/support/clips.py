"""Real test footage built at test time from photos that installed packages ship.

    clip = make_clip(tmp_path / "c.mp4", [(photo("coffee"), 3), (photo("chelsea"), 3)])

Each (image, seconds) pair becomes one shot; the cut times are therefore known exactly
(the running sum of the seconds), which is what the detectors are checked against.
`motion=True` adds a slow zoom so consecutive frames differ as in real footage.
"""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction
from functools import lru_cache
from pathlib import Path
from typing import Any

import av
import numpy as np
from PIL import Image

from streambet.services.demo_footage import encode_stills, fit

PHOTOS = ("astronaut", "chelsea", "coffee", "rocket")


@lru_cache(maxsize=8)
def photo(name: str) -> np.ndarray:
    """An RGB uint8 photo from scikit-image's bundled data ("astronaut", "chelsea" (a cat),
    "coffee", "rocket"), or "black" for a black frame."""
    if name == "black":
        return np.zeros((360, 640, 3), np.uint8)
    from skimage import data

    img = getattr(data, name)()
    if img.ndim == 2:
        img = np.stack([img] * 3, axis=-1)
    return np.ascontiguousarray(img[..., :3])


def make_clip(
    path: Path,
    segments: Sequence[tuple[np.ndarray | str, float]],
    **kwargs: Any,
) -> Path:
    """Encodes the segments (photo names or RGB arrays) with streambet.services.demo_footage;
    keyword arguments as `encode_stills` (fps, size, codec, motion, start_seconds, options)."""
    pictures = [(photo(i) if isinstance(i, str) else i, seconds) for i, seconds in segments]
    return encode_stills(path, pictures, **kwargs)


def make_vfr_clip(path: Path, frames: Sequence[tuple[np.ndarray | str, float]]) -> Path:
    """Variable frame rate: each (image, show_at_seconds) frame gets exactly that pts."""
    with av.open(str(path), mode="w", format="matroska") as out:
        stream = out.add_stream("libx264", rate=30)
        stream.width, stream.height = 320, 240
        stream.pix_fmt = "yuv420p"
        stream.codec_context.time_base = Fraction(1, 1000)
        for image, at in frames:
            img = photo(image) if isinstance(image, str) else image
            frame = av.VideoFrame.from_ndarray(fit(img, (320, 240)), format="rgb24")
            frame.pts = round(at * 1000)
            frame.time_base = stream.codec_context.time_base
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode(None):
            out.mux(packet)
    return path


def make_audio_only(path: Path, seconds: float = 1.0) -> Path:
    with av.open(str(path), mode="w") as out:
        stream = out.add_stream("aac", rate=44100)
        samples = int(44100 * seconds)
        tone = (np.sin(np.arange(samples) * 2 * np.pi * 440 / 44100) * 0.2).astype(np.float32)
        for start in range(0, samples, 1024):
            chunk = tone[None, start : start + 1024]
            frame = av.AudioFrame.from_ndarray(chunk, format="fltp", layout="mono")
            frame.sample_rate = 44100
            frame.pts = start
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode(None):
            out.mux(packet)
    return path


def make_png_as_mp4(path: Path) -> Path:
    Image.fromarray(photo("coffee")).save(path, format="PNG")
    return path
