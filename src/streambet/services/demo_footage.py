"""Encode a video from still pictures with known content per time range.

Used for the demo clip `make run` seeds and for test footage: each (picture, seconds) pair
becomes one shot, so the cut times are exactly the running sum of the seconds.
"""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction
from pathlib import Path
from typing import Any

import av
import numpy as np
from numpy.typing import NDArray
from PIL import Image


def fit(img: NDArray[Any], size: tuple[int, int], zoom: float = 1.0) -> NDArray[Any]:
    """Letterbox the picture into (width, height), optionally zoomed about its centre."""
    width, height = size
    h, w = img.shape[:2]
    if zoom != 1.0:
        cw, ch = round(w / zoom), round(h / zoom)
        x0, y0 = (w - cw) // 2, (h - ch) // 2
        img = img[y0 : y0 + ch, x0 : x0 + cw]
        h, w = ch, cw
    scale = min(width / w, height / h)
    nw, nh = max(2, round(w * scale)), max(2, round(h * scale))
    resized = np.asarray(Image.fromarray(img).resize((nw, nh), Image.Resampling.BILINEAR))
    canvas = np.zeros((height, width, 3), np.uint8)
    y, x = (height - nh) // 2, (width - nw) // 2
    canvas[y : y + nh, x : x + nw] = resized
    return canvas


def encode_stills(
    path: Path,
    segments: Sequence[tuple[NDArray[Any], float]],
    *,
    fps: int = 10,
    size: tuple[int, int] = (640, 360),
    codec: str = "libx264",
    motion: bool = False,
    start_seconds: float = 0.0,
    options: dict[str, str] | None = None,
) -> Path:
    """Encodes the segments with PyAV; the container follows the file suffix.

    `motion=True` adds a slow zoom so consecutive frames differ as in real footage;
    `start_seconds` shifts every timestamp (a stream that does not start at zero)."""
    with av.open(str(path), mode="w") as out:
        stream: av.VideoStream = out.add_stream(codec, rate=fps)  # type: ignore[assignment]
        stream.width, stream.height = size
        stream.pix_fmt = "yuv420p"
        stream.codec_context.time_base = Fraction(1, fps * 100)
        opts: dict[str, object] = {"preset": "veryfast"} if codec in ("libx264", "libx265") else {}
        opts.update(options or {})
        stream.options = opts
        offset = round(start_seconds * fps * 100)
        index = 0
        for img, seconds in segments:
            n = round(seconds * fps)
            static = None if motion else fit(img, size)
            for k in range(n):
                rgb = static if static is not None else fit(img, size, 1.0 + 0.15 * k / max(n, 1))
                frame = av.VideoFrame.from_ndarray(rgb, format="rgb24")
                frame.pts = offset + index * 100
                frame.time_base = stream.codec_context.time_base
                for packet in stream.encode(frame):
                    out.mux(packet)
                index += 1
        for packet in stream.encode(None):
            out.mux(packet)
    return path
