"""A real RTMP source: Debian's ffmpeg listening (`-listen 1`) and publishing a clip at its
real pace to the first client that connects."""

from __future__ import annotations

import shutil
import socket
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.support.clips import make_clip

PATH = "/live/test"  # the stream's path on the server


def free_port() -> int:
    """A loopback port nothing listens on (closed again at once)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
    return port


@contextmanager
def rtmp_listener(folder: Path) -> Iterator[int]:
    """The port of an RTMP server serving 20 s of a photo at `rtmp://127.0.0.1:PORT{PATH}`;
    skips the test where ffmpeg is not installed."""
    ffmpeg = shutil.which("ffmpeg")
    if ffmpeg is None:
        pytest.skip("Debian's ffmpeg is not installed")
    clip = make_clip(folder / "rtmp.mp4", [("chelsea", 20)], fps=15, size=(320, 180))
    port = free_port()
    args = ["-loglevel", "error", "-re", "-i", str(clip), "-c", "copy", "-f", "flv"]
    proc = subprocess.Popen(
        [ffmpeg, *args, "-listen", "1", f"rtmp://127.0.0.1:{port}{PATH}"],
        stdin=subprocess.DEVNULL,
    )
    try:
        yield port
    finally:
        proc.kill()
        proc.wait()
