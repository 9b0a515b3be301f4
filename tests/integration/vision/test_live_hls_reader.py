"""The live HLS reader (vision/live/hls.py) against real HLS: PyAV's hls muxer writing in
real time (tests/support/live_hls.py) and playlists of real segments served over HTTP.
Reading starts at the live edge and takes each segment once; a blocking reload asks for
the next segment; a segment the server no longer has is skipped; a master playlist is read
through its first variant; fMP4 is left to FFmpeg's demuxer."""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterator
from fractions import Fraction
from http.server import SimpleHTTPRequestHandler
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import av
import numpy as np
import pytest

from streambet.vision.live import hls
from streambet.vision.live.guard import Guard, any_host
from streambet.vision.live.source import Picture, ReadConfig, SourceLost, read_source
from tests.support.clips import make_clip
from tests.support.http_server import serving_folder
from tests.support.live_hls import live_hls

FPS = 15


def _wait(condition: Any, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def _segments_listed(folder: Path) -> list[int]:
    text = (folder / "live.m3u8").read_text()
    first = int(re.search(r"#EXT-X-MEDIA-SEQUENCE:(\d+)", text).group(1))  # type: ignore[union-attr]
    return list(range(first, first + text.count("#EXTINF")))


def _frame_numbers(feed: hls.HlsFeed, count: int) -> list[int]:
    """The first `count` pictures decoded from `feed`, numbered by time from the first."""
    pts: list[int] = []
    with av.open(feed, mode="r", format="mpegts", options=hls.DEMUX_OPTIONS) as container:
        time_base = container.streams.video[0].time_base
        assert time_base is not None
        tick = round(1 / (time_base * FPS))  # a frame's duration
        for frame in container.decode(video=0):
            assert frame.pts is not None
            pts.append(frame.pts)
            if len(pts) == count:
                break
    return [(p - pts[0]) // tick for p in pts]


def _read(url: str, count: int) -> tuple[hls.HlsFeed, list[int]]:
    """The feed of `url`, read for `count` pictures (numbered as `_frame_numbers` does),
    then stopped and closed."""
    stop = threading.Event()
    feed = hls.open_feed(Guard(any_host).fetch, url, stop, 5)
    assert feed is not None
    try:
        return feed, _frame_numbers(feed, count)
    finally:
        stop.set()
        feed.close()


def test_reads_from_the_live_edge_each_segment_once_and_in_order(tmp_path: Path) -> None:
    with live_hls(tmp_path, [("chelsea", 30)], fps=FPS, size=(320, 180)) as source:
        _wait(lambda: len(_segments_listed(source.folder)) >= 3)
        feed, frames = _read(source.url, 4 * FPS)
        paths = list(source.paths)
    fetched = list(feed.fetched)
    assert fetched[0] >= 2  # the live edge, not the window's first segment
    assert fetched == list(range(fetched[0], fetched[0] + len(fetched)))
    assert len(fetched) >= 4
    segment_paths = [p for p in paths if p.endswith(".ts")]
    assert len(segment_paths) == len(set(segment_paths)) == len(fetched)  # each one once
    # The pictures run on across the segments: none missing, none twice.
    assert frames == list(range(len(frames)))


class _Blocking(SimpleHTTPRequestHandler):
    """Serves the live writer's folder as an LL-HLS server would: the playlist offers
    blocking reloads, and `?_HLS_msn=N` is answered once segment N is listed."""

    def do_GET(self) -> None:
        parts = urlsplit(self.path)
        self.server.paths.append(self.path)  # type: ignore[attr-defined]
        if not parts.path.endswith(".m3u8"):
            super().do_GET()
            return
        folder = Path(self.directory)
        msn = parse_qs(parts.query).get("_HLS_msn")
        deadline = time.monotonic() + 5
        while msn and int(msn[0]) not in _segments_listed(folder):
            assert time.monotonic() < deadline
            time.sleep(0.02)
        text = (folder / "live.m3u8").read_text()
        body = text.replace("#EXTM3U\n", "#EXTM3U\n#EXT-X-SERVER-CONTROL:CAN-BLOCK-RELOAD=YES\n")
        data = body.encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/vnd.apple.mpegurl")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def blocking_server(tmp_path: Path) -> Iterator[tuple[Path, int, list[str]]]:
    folder = tmp_path / "hls"
    folder.mkdir()
    paths: list[str] = []
    with serving_folder(folder, _Blocking, paths=paths) as server:
        yield folder, server.server_port, paths


def test_blocking_reload_asks_for_each_next_segment(
    tmp_path: Path, blocking_server: tuple[Path, int, list[str]]
) -> None:
    folder, port, paths = blocking_server
    with live_hls(tmp_path, [("chelsea", 30)], fps=FPS, size=(320, 180)) as source:
        assert source.folder == folder
        feed, frames = _read(f"http://127.0.0.1:{port}/live.m3u8", 4 * FPS)
    reloads = [p for p in paths if p.startswith("/live.m3u8?")]
    asked = [int(parse_qs(urlsplit(p).query)["_HLS_msn"][0]) for p in reloads]
    # Every reload after the first request was a blocking one for the next segment: the
    # server's answer always brought it, so none was asked twice (no polling).
    assert paths[0] == "/live.m3u8"
    assert len(reloads) == len(paths) - 1 - len(feed.fetched) and len(asked) >= 3
    assert asked == list(range(feed.fetched[0] + 1, feed.fetched[0] + 1 + len(asked)))
    assert frames == list(range(len(frames)))


ENDED = """#EXTM3U
#EXT-X-VERSION:3
#EXT-X-TARGETDURATION:1
#EXT-X-MEDIA-SEQUENCE:0
#EXTINF:1.0,
seg0.ts
#EXTINF:1.0,
seg1.ts
#EXTINF:1.0,
seg2.ts
#EXT-X-ENDLIST
"""


@pytest.fixture
def files(tmp_path: Path) -> Iterator[tuple[Path, str]]:
    """A plain HTTP server of a folder: (folder, its base URL)."""
    with serving_folder(tmp_path) as server:
        yield tmp_path, f"http://127.0.0.1:{server.server_port}"


def test_a_missing_segment_is_skipped_and_an_ended_playlist_closes(
    files: tuple[Path, str],
) -> None:
    folder, base = files
    for k in (0, 2):  # seg1.ts is listed but gone (404)
        make_clip(
            folder / f"seg{k}.ts", [("chelsea", 1.0)], fps=FPS, size=(320, 180), start_seconds=k
        )
    (folder / "vod.m3u8").write_text(ENDED)
    feed, frames = _read(f"{base}/vod.m3u8", 10 * FPS)
    assert list(feed.fetched) == [0, 2]
    # Both segments' pictures, and a second missing between them (each file was muxed on
    # its own, so the second starts within a few frames of 2 s).
    assert len(frames) == 2 * FPS and frames[:FPS] == list(range(FPS))
    assert frames[FPS:] == list(range(frames[FPS], frames[FPS] + FPS))
    assert frames[FPS] - frames[FPS - 1] > FPS // 2
    # Through the source: pictures, then the end is a closed connection (as FFmpeg's).
    found: list[Any] = []
    with pytest.raises(SourceLost, match="closed the connection"):
        found.extend(read_source(f"{base}/vod.m3u8", ReadConfig(), threading.Event()))
    assert any(isinstance(item, Picture) for item in found)


def test_a_master_playlist_is_read_through_its_first_variant(tmp_path: Path) -> None:
    with live_hls(tmp_path, [("chelsea", 30)], fps=FPS, size=(320, 180)) as source:
        (source.folder / "master.m3u8").write_text(
            "#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=500000\nlive.m3u8\n"
            "#EXT-X-STREAM-INF:BANDWIDTH=900000\nmissing.m3u8\n"
        )
        stop = threading.Event()
        found = []
        for item in read_source(source.url.replace("live.m3u8", "master.m3u8"), ReadConfig(), stop):
            if isinstance(item, Picture):
                found.append(item)
                if len(found) == 3:
                    stop.set()
        paths = list(source.paths)
    assert len(found) == 3
    assert paths[:2] == ["/master.m3u8", "/live.m3u8"] and "/missing.m3u8" not in paths


def _fmp4_vod(folder: Path) -> None:
    """A finished HLS playlist of fMP4 segments (EXT-X-MAP), written by PyAV's hls muxer."""
    options = {"hls_time": "1", "hls_segment_type": "fmp4", "hls_playlist_type": "vod"}
    with av.open(str(folder / "f.m3u8"), mode="w", format="hls", options=options) as out:
        stream: Any = out.add_stream("libx264", rate=FPS)
        stream.width, stream.height, stream.pix_fmt = 320, 180, "yuv420p"
        stream.codec_context.time_base = Fraction(1, FPS)
        stream.options = {"g": str(FPS)}
        for index in range(3 * FPS):
            rgb = np.full((180, 320, 3), (index * 5) % 255, dtype=np.uint8)
            frame = av.VideoFrame.from_ndarray(rgb, format="rgb24")
            frame.pts = index
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode(None):
            out.mux(packet)


def test_fmp4_is_left_to_ffmpegs_demuxer(files: tuple[Path, str]) -> None:
    folder, base = files
    _fmp4_vod(folder)
    assert "#EXT-X-MAP" in (folder / "f.m3u8").read_text()
    url = f"{base}/f.m3u8"
    assert hls.open_feed(Guard(any_host).fetch, url, threading.Event(), 5) is None
    found: list[Any] = []
    with pytest.raises(SourceLost, match="closed the connection"):
        found.extend(read_source(url, ReadConfig(), threading.Event()))
    assert any(isinstance(item, Picture) for item in found)
