"""Live sources against real servers: a replay at real pace (looping), PyAV's live HLS
served over HTTP, RTMP from Debian's ffmpeg (-listen 1), Twitch's path through
streamlink's hls:// plugin, Kinesis Video through botocore's Stubber and a local HLS
server; and the follower's faults: a dropped source reconnects, a silent one fails."""

from __future__ import annotations

import itertools
import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from streambet.vision.live.follow import FollowConfig, follow
from streambet.vision.live.resolve import kinesis_hls_url, media_url, streamlink_url
from streambet.vision.live.source import Item, Picture, ReadConfig, SourceLost, read_source
from tests.support.clips import make_clip
from tests.support.follow_recorder import Recorder
from tests.support.live_hls import live_hls
from tests.support.rtmp_server import PATH as RTMP_PATH
from tests.support.rtmp_server import free_port, rtmp_listener


def _pictures(url: str, n: int, config: ReadConfig | None = None) -> list[Picture]:
    stop = threading.Event()
    found: list[Picture] = []
    for item in read_source(url, config or ReadConfig(), stop):
        if isinstance(item, Picture):
            found.append(item)
            if len(found) == n:
                stop.set()
                break
    return found


def test_replay_is_paced_and_loops(tmp_path: Path) -> None:
    clip = make_clip(tmp_path / "c.mp4", [("chelsea", 1.0)], fps=10, size=(320, 180))
    t0 = time.time() * 1000
    found = _pictures(f"replay:{clip}", 6, ReadConfig(sample_interval_ms=500, loop=True))
    times = [p.frame.timestamp_ms for p in found]
    assert times == sorted(times)
    assert 2000 <= times[-1] - t0 <= 3500  # six samples 500 ms apart, past the 1 s clip
    assert all(p.frame.rgb is not None and p.frame.rgb.shape == (180, 320, 3) for p in found)


def test_looping_replay_keeps_time_when_frames_are_skipped(tmp_path: Path) -> None:
    """At 30 fps with 2 samples a second, frames nothing refers to are not decoded; each
    round of a looping replay still lasts the file's whole length (its end is read from
    the packets, its last pictures flushed from the decoder): the cut from black to the
    cat, sampled at once, comes every 1000 ms round after round."""
    clip = make_clip(tmp_path / "c.mp4", [("black", 0.5), ("chelsea", 0.5)], fps=30)
    found = _pictures(f"replay:{clip}", 12, ReadConfig(sample_interval_ms=500, loop=True))
    cat = [p.frame.rgb is not None and p.frame.rgb.mean() > 40 for p in found]
    firsts = [p.frame.timestamp_ms for k, p in enumerate(found) if k and cat[k] and not cat[k - 1]]
    assert len(firsts) >= 3, [p.frame.timestamp_ms - found[0].frame.timestamp_ms for p in found]
    assert all(abs(b - a - 1000) <= 40 for a, b in itertools.pairwise(firsts)), firsts


def test_a_cut_is_sampled_at_once_and_the_next_sample_waits_half_an_interval(
    tmp_path: Path,
) -> None:
    """Black for 1.1 s, then the cat: a sample lands on the cut's first frames instead of
    at the next 500 ms tick, and the one after it comes at least 250 ms later."""
    clip = make_clip(tmp_path / "c.mp4", [("black", 1.1), ("chelsea", 2.0)], fps=30)
    found = _pictures(f"replay:{clip}", 6, ReadConfig(sample_interval_ms=500))
    times = [p.frame.timestamp_ms - found[0].frame.timestamp_ms for p in found]
    cut = next(k for k, t in enumerate(times) if t >= 1100)
    assert times[cut] <= 1100 + 70, times  # within two frames of the cut
    assert times[cut + 1] - times[cut] >= 250, times
    assert times[cut + 2] - times[cut + 1] >= 250, times


def test_replay_without_loop_ends(tmp_path: Path) -> None:
    clip = make_clip(tmp_path / "c.mp4", [("chelsea", 1.0)], fps=10, size=(160, 90))
    events: list[tuple[str, Any]] = []
    follow(
        f"replay:{clip}",
        FollowConfig(ReadConfig(sample_interval_ms=250), give_up_seconds=5),
        Recorder(events),
        threading.Event(),
    )
    assert events[-1] == ("finished", (True, "the replayed file has ended"))
    assert sum(1 for kind, _ in events if kind == "picture") >= 3


def test_live_hls(tmp_path: Path) -> None:
    with live_hls(tmp_path, [("chelsea", 30)]) as source:
        found = _pictures(source.url, 4)
    lags = [time.time() * 1000 - p.frame.timestamp_ms for p in found]
    assert all(p.frame.rgb is not None for p in found)
    assert max(lags) < 10_000


def test_dropped_hls_reconnects(tmp_path: Path) -> None:
    events: list[tuple[str, Any]] = []
    stop = threading.Event()
    config = FollowConfig(ReadConfig(open_timeout=3, read_timeout=3), give_up_seconds=30)
    with live_hls(tmp_path, [("chelsea", 60)]) as source:
        thread = threading.Thread(target=follow, args=(source.url, config, Recorder(events), stop))
        thread.start()
        _wait(lambda: ("picture", None) in events)
        source.drop()
        _wait(lambda: any(kind == "lost" for kind, _ in events), 20)
        source.restore()
        lost_at = max(i for i, (kind, _) in enumerate(events) if kind == "lost")
        _wait(lambda: ("picture", None) in events[lost_at:], 20)
        stop.set()
        thread.join(15)
    assert not thread.is_alive()
    assert [a for kind, a in events if kind == "connecting"][:2] == [1, 2]
    assert not any(kind == "finished" for kind, _ in events)


def test_never_answering_source_fails_in_time() -> None:
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(8)  # accepts connections, never says a word
    events: list[tuple[str, Any]] = []
    url = f"http://127.0.0.1:{silent.getsockname()[1]}/live.m3u8"
    config = FollowConfig(ReadConfig(open_timeout=1, read_timeout=1), give_up_seconds=3)
    t0 = time.monotonic()
    try:
        follow(url, config, Recorder(events), threading.Event())
    finally:
        silent.close()
    assert time.monotonic() - t0 < 15
    kind, (ended, reason) = events[-1]
    assert kind == "finished" and ended is False
    assert "never answered" in reason


def test_unreachable_url_is_lost_not_hung() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again: nothing listens there
    with pytest.raises(SourceLost):
        next(
            read_source(f"rtsp://127.0.0.1:{port}/x", ReadConfig(open_timeout=2), threading.Event())
        )


@pytest.fixture
def rtmp_source(tmp_path: Path) -> Iterator[str]:
    with rtmp_listener(tmp_path) as port:
        yield f"rtmp://127.0.0.1:{port}{RTMP_PATH}"


def test_rtmp(rtmp_source: str) -> None:
    deadline = time.monotonic() + 30
    while True:  # until ffmpeg listens (a refused connection takes nothing from it)
        try:
            found = _pictures(rtmp_source, 3, ReadConfig(open_timeout=5, read_timeout=5))
            break
        except SourceLost as exc:
            assert "refused" in str(exc) and time.monotonic() < deadline, exc
            time.sleep(0.5)
    assert len(found) == 3 and all(p.frame.rgb is not None for p in found)


def test_twitch_path_through_streamlink_hls(tmp_path: Path) -> None:
    with live_hls(tmp_path, [("chelsea", 30)]) as source:
        resolved = streamlink_url(f"hls://{source.url}")
        assert resolved.startswith("http://127.0.0.1:") and resolved.endswith(".m3u8")
        assert len(_pictures(resolved, 2)) == 2


def test_kinesis_video_through_its_hls_session(tmp_path: Path) -> None:
    kv = boto3.client(
        "kinesisvideo", region_name="eu-west-1", aws_access_key_id="x", aws_secret_access_key="y"
    )
    endpoint = "https://b-1234.kinesisvideo.eu-west-1.amazonaws.com"
    media = boto3.client(
        "kinesis-video-archived-media",
        region_name="eu-west-1",
        endpoint_url=endpoint,
        aws_access_key_id="x",
        aws_secret_access_key="y",
    )
    with live_hls(tmp_path, [("chelsea", 30)]) as source, Stubber(kv) as s1, Stubber(media) as s2:
        s1.add_response(
            "get_data_endpoint",
            {"DataEndpoint": endpoint},
            {"StreamName": "cam-1", "APIName": "GET_HLS_STREAMING_SESSION_URL"},
        )
        s2.add_response(
            "get_hls_streaming_session_url",
            {"HLSStreamingSessionURL": source.url},
            {"StreamName": "cam-1", "PlaybackMode": "LIVE"},
        )
        calls: list[tuple[str, str | None]] = []

        def clients(service: str, endpoint_url: str | None) -> Any:
            calls.append((service, endpoint_url))
            return kv if service == "kinesisvideo" else media

        url = media_url("kinesis://cam-1", clients)
        assert url == source.url
        assert calls == [("kinesisvideo", None), ("kinesis-video-archived-media", endpoint)]
        assert len(_pictures(url, 2)) == 2
        s1.assert_no_pending_responses()
        s2.assert_no_pending_responses()
    with Stubber(kv) as s1:
        s1.add_client_error("get_data_endpoint", "ResourceNotFoundException")
        with pytest.raises(SourceLost):
            kinesis_hls_url("gone", lambda service, endpoint: kv)


def _wait(condition: Any, timeout: float = 15) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def test_mpegts_over_http(tmp_path: Path) -> None:
    from tests.support.http_server import serving_folder

    make_clip(tmp_path / "live.ts", [("chelsea", 3)], fps=15, size=(320, 180))
    found: list[Item] = []
    with serving_folder(tmp_path) as server:
        url = f"http://127.0.0.1:{server.server_port}/live.ts"
        # A finished file arrives at once (not at a live pace): its pictures share one
        # wall-clock sample slot, and its end is a closed connection.
        with pytest.raises(SourceLost, match="closed the connection"):
            found.extend(read_source(url, ReadConfig(), threading.Event()))
    assert found and isinstance(found[0], Picture) and found[0].frame.rgb is not None


DEBIAN_PYTHON = "/usr/bin/python3"  # Debian's, where python3-gi and GStreamer's RTSP server live


@pytest.fixture
def rtsp_url() -> Iterator[str]:
    """GStreamer's RTSP server (tests/support/rtsp_server.py), TCP only."""
    check = subprocess.run(
        [DEBIAN_PYTHON, "-c", "import gi; gi.require_version('GstRtspServer', '1.0')"],
        capture_output=True,
    )
    if check.returncode != 0:
        pytest.skip("GStreamer's RTSP server is not installed (.ci/run installs it)")
    port = free_port()
    script = Path(__file__).parents[2] / "support" / "rtsp_server.py"
    proc = subprocess.Popen(
        [DEBIAN_PYTHON, str(script), str(port)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
        yield f"rtsp://127.0.0.1:{port}/live"
    finally:
        proc.kill()
        proc.wait()
        proc.stdout.close()


def test_rtsp_over_tcp(rtsp_url: str) -> None:
    """The server offers TCP (interleaved) transport only: pictures mean the reader asked
    for TCP."""
    t0 = time.time() * 1000
    found = _pictures(rtsp_url, 3, ReadConfig(open_timeout=5, read_timeout=5))
    assert len(found) == 3
    assert all(p.frame.rgb is not None and p.frame.rgb.shape == (360, 640, 3) for p in found)
    assert all(t0 <= p.frame.timestamp_ms <= time.time() * 1000 + 50 for p in found)


@pytest.fixture
def srt_url(tmp_path: Path) -> Iterator[str]:
    """Debian's ffmpeg (built with libsrt) serving a looping clip as an SRT listener."""
    ffmpeg = shutil.which("ffmpeg")
    if ffmpeg is None:
        pytest.skip("Debian's ffmpeg is not installed")
    clip = make_clip(tmp_path / "s.mp4", [("chelsea", 4)], fps=15, size=(320, 180))
    port = free_port()
    args = ["-nostdin", "-loglevel", "error", "-re", "-stream_loop", "-1", "-i", str(clip)]
    proc = subprocess.Popen(
        [ffmpeg, *args, "-c", "copy", "-f", "mpegts", f"srt://127.0.0.1:{port}?mode=listener"],
        stdin=subprocess.DEVNULL,
    )
    try:
        yield f"srt://127.0.0.1:{port}"
    finally:
        proc.kill()
        proc.wait()


def test_srt(srt_url: str) -> None:
    deadline = time.monotonic() + 30
    while True:  # until ffmpeg listens
        try:
            found = _pictures(srt_url, 3, ReadConfig(open_timeout=3, read_timeout=5))
            break
        except SourceLost as exc:
            assert time.monotonic() < deadline, exc
            time.sleep(0.5)
    assert len(found) == 3 and all(p.frame.rgb is not None for p in found)
    assert found[0].frame.rgb is not None and found[0].frame.rgb.shape == (180, 320, 3)


def test_srt_that_never_answers_is_lost_in_time() -> None:
    port = free_port()  # nobody listens
    t0 = time.monotonic()
    with pytest.raises(SourceLost):
        next(read_source(f"srt://127.0.0.1:{port}", ReadConfig(open_timeout=2), threading.Event()))
    assert time.monotonic() - t0 < 15
