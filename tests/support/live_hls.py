"""A real live HLS source for tests and the bench: PyAV's `hls` muxer writes 1 s segments
in real time (each picture encoded when its time comes) into a folder that a local HTTP
server thread serves. `drop()` makes the server refuse every request until `restore()`,
as a source going away and coming back does; `hold()` makes it keep every request open
without answering (a connection that stalls) until `release()`.

    with live_hls(tmp_path, [("chelsea", 600)]) as source:
        url = source.url          # http://127.0.0.1:PORT/live.m3u8
        source.written            # wall time (epoch ms) each picture was encoded
        source.paths              # the path of every request the server was sent
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from fractions import Fraction
from http.server import SimpleHTTPRequestHandler
from pathlib import Path
from typing import Any

import av
import numpy as np

from streambet.services.demo_footage import fit
from tests.support.clips import photo
from tests.support.http_server import serving_folder


class _Handler(SimpleHTTPRequestHandler):
    dropped: threading.Event

    def do_GET(self) -> None:
        self.server.paths.append(self.path)  # type: ignore[attr-defined]
        held: threading.Event = self.server.held  # type: ignore[attr-defined]
        while held.is_set():
            time.sleep(0.05)
        if self.server.dropped.is_set():  # type: ignore[attr-defined]
            self.send_error(503, "dropped")
            return
        super().do_GET()

    def log_message(self, format: str, *args: Any) -> None:
        pass


@dataclass
class LiveHls:
    url: str
    folder: Path
    stop: threading.Event
    dropped: threading.Event
    written: list[int] = field(default_factory=list)  # epoch ms of each encoded picture
    held: threading.Event = field(default_factory=threading.Event)
    paths: list[str] = field(default_factory=list)  # every request's path, in order

    def hold(self) -> None:
        self.held.set()

    def release(self) -> None:
        self.held.clear()

    def drop(self) -> None:
        self.dropped.set()

    def restore(self) -> None:
        self.dropped.clear()


def _write(
    folder: Path,
    segments: Sequence[tuple[str | np.ndarray, float]],
    fps: int,
    size: tuple[int, int],
    source: LiveHls,
    started: threading.Event,
) -> None:
    with av.open(
        str(folder / "live.m3u8"),
        mode="w",
        format="hls",
        options={"hls_time": "1", "hls_list_size": "6", "hls_flags": "delete_segments"},
    ) as out:
        stream: Any = out.add_stream("libx264", rate=fps)
        stream.width, stream.height = size
        stream.pix_fmt = "yuv420p"
        stream.codec_context.time_base = Fraction(1, fps)
        stream.options = {"preset": "ultrafast", "tune": "zerolatency", "g": str(fps)}
        t0 = time.monotonic()
        index = 0
        for picture, seconds in segments:
            img = fit(photo(picture) if isinstance(picture, str) else picture, size)
            for k in range(round(seconds * fps)):
                if source.stop.is_set():
                    return
                wait = t0 + index / fps - time.monotonic()
                if wait > 0:
                    time.sleep(wait)
                rgb = img if k % 2 else np.ascontiguousarray(img[:, ::-1])  # a little motion
                frame = av.VideoFrame.from_ndarray(rgb, format="rgb24")
                frame.pts = index
                source.written.append(int(time.time() * 1000))
                for packet in stream.encode(frame):
                    out.mux(packet)
                if index == fps:  # the first segment is out
                    started.set()
                index += 1
        for packet in stream.encode(None):
            out.mux(packet)


@contextmanager
def live_hls(
    tmp: Path,
    segments: Sequence[tuple[str | np.ndarray, float]],
    *,
    fps: int = 15,
    size: tuple[int, int] = (640, 360),
) -> Iterator[LiveHls]:
    folder = tmp / "hls"
    folder.mkdir(parents=True, exist_ok=True)
    dropped = threading.Event()
    with serving_folder(folder, _Handler, dropped=dropped) as server:
        source = LiveHls(
            f"http://127.0.0.1:{server.server_port}/live.m3u8", folder, threading.Event(), dropped
        )
        server.held = source.held  # type: ignore[attr-defined]
        server.paths = source.paths  # type: ignore[attr-defined]
        started = threading.Event()
        write = threading.Thread(
            target=_write, args=(folder, segments, fps, size, source, started), daemon=True
        )
        write.start()
        try:
            started.wait(10)
            yield source
        finally:
            source.stop.set()
            source.release()
            write.join(10)
