"""Small real media files for plumbing tests, made at test time with PyAV and Pillow."""

from __future__ import annotations

import io
from pathlib import Path

import av
import numpy as np
from PIL import Image


def make_video(
    path: Path, seconds: float = 2.0, fps: int = 10, size: tuple[int, int] = (160, 120)
) -> Path:
    """An H.264 MP4 of moving colour bands (so every frame differs)."""
    width, height = size
    with av.open(str(path), mode="w") as container:
        stream = container.add_stream("libx264", rate=fps)
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        stream.options = {"preset": "ultrafast"}
        for i in range(round(seconds * fps)):
            x = np.arange(width, dtype=np.uint16)[None, :, None]
            frame = ((x * 2 + i * 8 + np.array([0, 85, 170])) % 256).astype(np.uint8)
            frame = np.repeat(frame, height, axis=0)
            container.mux(stream.encode(av.VideoFrame.from_ndarray(frame, format="rgb24")))
        container.mux(stream.encode(None))
    return path


def video_bytes(tmp: Path, seconds: float = 2.0, fps: int = 10) -> bytes:
    return make_video(tmp / f"clip-{seconds}-{fps}.mp4", seconds, fps).read_bytes()


def png_bytes() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 30, 30)).save(buffer, format="PNG")
    return buffer.getvalue()
