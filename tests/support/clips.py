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

import av
import numpy as np
from PIL import Image

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


def _fit(img: np.ndarray, size: tuple[int, int], zoom: float = 1.0) -> np.ndarray:
    """Letterbox the photo into (width, height), optionally zoomed about its centre."""
    width, height = size
    h, w = img.shape[:2]
    if zoom != 1.0:
        cw, ch = round(w / zoom), round(h / zoom)
        x0, y0 = (w - cw) // 2, (h - ch) // 2
        img = img[y0 : y0 + ch, x0 : x0 + cw]
        h, w = ch, cw
    scale = min(width / w, height / h)
    nw, nh = max(2, round(w * scale)), max(2, round(h * scale))
    resized = np.asarray(Image.fromarray(img).resize((nw, nh), Image.BILINEAR))
    canvas = np.zeros((height, width, 3), np.uint8)
    y, x = (height - nh) // 2, (width - nw) // 2
    canvas[y : y + nh, x : x + nw] = resized
    return canvas


def make_clip(
    path: Path,
    segments: Sequence[tuple[np.ndarray | str, float]],
    *,
    fps: int = 10,
    size: tuple[int, int] = (640, 360),
    codec: str = "libx264",
    motion: bool = False,
    start_seconds: float = 0.0,
    options: dict[str, str] | None = None,
) -> Path:
    """Encodes the segments with PyAV; the container follows the file suffix.

    `start_seconds` shifts every timestamp (a stream that does not start at zero)."""
    pix_fmt = "yuv420p"
    with av.open(str(path), mode="w") as out:
        stream = out.add_stream(codec, rate=fps)
        stream.width, stream.height = size
        stream.pix_fmt = pix_fmt
        stream.codec_context.time_base = Fraction(1, fps * 100)
        opts = {"preset": "veryfast"} if codec in ("libx264", "libx265") else {}
        opts.update(options or {})
        stream.options = opts
        offset = round(start_seconds * fps * 100)
        index = 0
        for image, seconds in segments:
            img = photo(image) if isinstance(image, str) else image
            n = round(seconds * fps)
            static = None if motion else _fit(img, size)
            for k in range(n):
                rgb = static if static is not None else _fit(img, size, 1.0 + 0.15 * k / max(n, 1))
                frame = av.VideoFrame.from_ndarray(rgb, format="rgb24")
                frame.pts = offset + index * 100
                frame.time_base = stream.codec_context.time_base
                for packet in stream.encode(frame):
                    out.mux(packet)
                index += 1
        for packet in stream.encode(None):
            out.mux(packet)
    return path


def make_vfr_clip(path: Path, frames: Sequence[tuple[np.ndarray | str, float]]) -> Path:
    """Variable frame rate: each (image, show_at_seconds) frame gets exactly that pts."""
    with av.open(str(path), mode="w", format="matroska") as out:
        stream = out.add_stream("libx264", rate=30)
        stream.width, stream.height = 320, 240
        stream.pix_fmt = "yuv420p"
        stream.codec_context.time_base = Fraction(1, 1000)
        for image, at in frames:
            img = photo(image) if isinstance(image, str) else image
            frame = av.VideoFrame.from_ndarray(_fit(img, (320, 240)), format="rgb24")
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
