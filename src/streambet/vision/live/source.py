"""One connection to a live source, read with PyAV: pictures (sampled) and sound, each
stamped with stream time (wall-clock epoch ms).

Live HLS of MPEG-TS segments is read by hls.py (polled playlists, the live edge, each
segment once) and demuxed from its bytes; other HLS (encrypted, fMP4) and the other
network sources are opened by FFmpeg with open and read timeouts (FFmpeg's interrupt
callback, so a silent server cannot hang the reader; hls.py has timeouts of its own).
Stream time is the source's presentation time mapped onto the wall clock at the first
picture; the mapping is set again when it would put a picture in the future or far in the
past (a timestamp jump), so pictures of an HLS segment that arrives at once still get their
own times. (It settles on the pictures that arrive soonest after their time, a segment's
last ones, so a segment's first pictures are stamped up to a segment before they arrive.)
Pictures are sampled every sample interval, and at once at a cut (the shot detector on
every decoded picture's thumbnail). `replay:` files are paced: each picture is handed over
at its stream time, and a looping replay starts again with its clock running on. Corrupt
packets and damaged pictures are skipped.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Generator, Iterator
from dataclasses import dataclass
from typing import Any

import av
import av.error
import numpy as np
import urllib3.exceptions
from numpy.typing import NDArray

from streambet.vision.live import hls
from streambet.vision.live.errors import SourceRefused
from streambet.vision.live.guard import Guard, any_host
from streambet.vision.live.hls import HlsFeed
from streambet.vision.live.srt import PIPE_OPTIONS, SrtChild
from streambet.vision.pipeline.audio.decode import SAMPLE_RATE
from streambet.vision.pipeline.decode import (
    DecodedFrame,
    FrameSampler,
    _analysis_size,
    _luma_thumb,
)
from streambet.vision.pipeline.detectors.shots import ShotDetector

# Sound is handed over in pieces of about this long (the sound models want whole seconds).
SOUND_PIECE_SECONDS = 1.0
# Skip decoding non-reference frames with at least this many frames a sample.
NONREF_MIN_FRAMES_PER_SAMPLE = 8
# A mapped time further behind the wall clock than this is a timestamp jump, not lag.
MAX_BEHIND_MS = 30_000


class SourceLost(Exception):
    """The connection failed or closed; reconnecting may help. The message says why."""


class SourceEnded(Exception):
    """The source has ended for good (a replay that does not loop)."""


@dataclass(frozen=True)
class ReadConfig:
    sample_interval_ms: int = 500
    open_timeout: float = 10.0
    read_timeout: float = 10.0
    audio: bool = True
    loop: bool = False  # replay: only


@dataclass(frozen=True)
class Picture:
    frame: DecodedFrame  # timestamp_ms is the stream time; rgb at analysis size


@dataclass(frozen=True)
class Sound:
    start_ms: int  # stream time of the first sample
    pcm: NDArray[Any]  # 16 kHz mono float32


Item = Picture | Sound


def now_ms() -> int:
    return int(time.time() * 1000)


def ffmpeg_options(url: str) -> dict[str, str]:
    """Per-protocol options: RTSP over TCP (no lost UDP packets), HLS that FFmpeg reads
    (hls.py says which) from its live edge. (SRT is read through Debian's ffmpeg: srt.py.)"""
    scheme = url.split(":", 1)[0].lower()
    if scheme in ("rtsp", "rtsps"):
        return {"rtsp_transport": "tcp"}
    if url.split("?", 1)[0].endswith(".m3u8"):
        return {"live_start_index": "-1", "http_persistent": "0"}
    return {}


class _Clock:
    """Presentation time (ms) -> stream time (epoch ms)."""

    def __init__(self, paced: bool) -> None:
        self.paced = paced
        self.offset: int | None = None

    def stamp(self, pts_ms: int) -> int:
        now = now_ms()
        if self.offset is None:
            self.offset = now - pts_ms
        at = pts_ms + self.offset
        if not self.paced and (at > now + 50 or at < now - MAX_BEHIND_MS):
            self.offset = now - pts_ms
            at = now
        return at


def read_source(
    url: str, config: ReadConfig, stop: threading.Event, guard: Guard | None = None
) -> Iterator[Item]:
    """Items from one connection to `url` (a path for replay:) until it ends. Raises
    SourceLost when it fails or a network source closes, SourceEnded when a replay is over,
    SourceRefused when `guard` refuses a host it would connect to (guard.py)."""
    replay = url.startswith("replay:")
    target = url.split(":", 1)[1] if replay else url
    sampler = FrameSampler(config.sample_interval_ms)
    clock = _Clock(paced=replay)
    while not stop.is_set():
        child: SrtChild | None = None
        feed: HlsFeed | None = None
        try:
            if not replay and hls.handles(target):
                # Our live HLS reader (hls.py), its requests made by the guard (one that
                # allows every host when there is no URL policy).
                fetcher = guard or Guard(any_host, config.open_timeout, config.read_timeout)
                fetcher.refused = None
                feed = hls.open_feed(fetcher.fetch, target, stop, config.read_timeout)
            if feed is None:  # what FFmpeg opens itself (hls.py says which HLS)
                target, options, io_open = _ffmpeg_target(url, target, replay, guard)
            if feed is not None:
                container = av.open(
                    feed,
                    mode="r",
                    format="mpegts",
                    options=hls.DEMUX_OPTIONS,
                    metadata_errors="ignore",
                )
            elif target.split(":", 1)[0].lower() == "srt":
                child = SrtChild(target, config.open_timeout, config.read_timeout)
                container = av.open(
                    child.pipe,
                    mode="r",
                    format="mpegts",
                    options=PIPE_OPTIONS,
                    metadata_errors="ignore",
                )
            else:
                container = av.open(
                    target,
                    mode="r",
                    options=options,
                    timeout=None if replay else (config.open_timeout, config.read_timeout),
                    metadata_errors="ignore",
                    io_open=io_open,
                )
        except (av.error.FFmpegError, OSError, urllib3.exceptions.HTTPError) as exc:
            _close(child, feed)
            _refused(guard)
            raise SourceLost(f"could not open the source ({_why(exc)})") from exc
        except SourceRefused:
            _close(child, feed)
            raise
        try:
            span_ms = yield from _read(container, config, sampler, clock, stop, replay, guard)
        finally:
            container.close()
            _close(child, feed)
        if stop.is_set():
            return
        if not replay:
            raise SourceLost("the source closed the connection")
        if not config.loop or span_ms <= 0:
            raise SourceEnded("the replayed file has ended")
        # The next round's pictures follow on the same clock.
        assert clock.offset is not None
        clock.offset += span_ms


def _ffmpeg_target(
    url: str, target: str, replay: bool, guard: Guard | None
) -> tuple[str, dict[str, str], Any]:
    """What FFmpeg opens itself: (URL, options, io_open). With a guard, every request an
    http(s) source makes goes through it; other network URLs get the vetted address."""
    options = ffmpeg_options(target)
    if guard is None or replay:
        return target, options, None
    guard.refused = None
    if target.split(":", 1)[0].lower() in ("http", "https"):
        # FFmpeg's own persistent and parallel HTTP connections need FFmpeg's own I/O,
        # so they are off.
        return target, options | {"http_persistent": "0", "http_multiple": "0"}, guard.io_open
    return guard.pinned(url), options, None


def _close(child: SrtChild | None, feed: HlsFeed | None) -> None:
    if child is not None:
        child.close()
    if feed is not None:
        feed.close()


def _refused(guard: Guard | None) -> None:
    """A refused request may only show as a failed open or a skipped segment: the guard
    remembers it."""
    if guard is not None and guard.refused is not None:
        raise SourceRefused(guard.refused)


def _why(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"[:300]


def _read(
    container: Any,
    config: ReadConfig,
    sampler: FrameSampler,
    clock: _Clock,
    stop: threading.Event,
    paced: bool,
    guard: Guard | None,
) -> Generator[Item, None, int]:
    """Yields from one open container; returns the presentation time it spanned (ms, the
    last picture's end less the first's start)."""
    if not container.streams.video:
        raise SourceLost("the source has no video")
    video = container.streams.video[0]
    video.thread_type = "AUTO"
    rate = float(video.average_rate or video.guessed_rate or 25)
    if rate >= 24 and rate * config.sample_interval_ms / 1000 >= NONREF_MIN_FRAMES_PER_SAMPLE:
        # Frames nothing refers to are never sampled here: not decoding them saves about
        # a third of the decoding (as the file engine does).
        video.codec_context.skip_frame = "NONREF"
    streams = [video]
    audio = container.streams.audio[0] if config.audio and container.streams.audio else None
    resampler = None
    if audio is not None:
        streams.append(audio)
        resampler = av.AudioResampler(format="flt", layout="mono", rate=SAMPLE_RATE)
    pending: list[NDArray[Any]] = []
    pending_start: int | None = None
    sound_next: int | None = None
    first: int | None = None
    last = end = 0
    frame_ms = round(1000 / rate) if rate > 0 else 40
    shots = ShotDetector(keep_history=False)  # reports a cut at most every 500 ms
    packets = container.demux(*streams)
    while not stop.is_set():
        try:
            packet = next(packets)
        except StopIteration:
            _refused(guard)
            return max(last + frame_ms, end) - (first or 0)
        except (av.error.FFmpegError, OSError, SourceRefused) as exc:
            _refused(guard)
            raise SourceLost(f"reading the source failed ({_why(exc)})") from exc
        _refused(guard)
        # A file's last packet of a stream is empty: decoding it flushes the pictures the
        # decoder still holds (its threads and reordering keep a few frames back). A live
        # demuxer (HLS) may hand over empty packets mid-stream: draining the decoder there
        # would end its decoding, so they are skipped.
        if packet.is_corrupt or (
            packet.dts is None and packet.pts is None and (packet.size or not paced)
        ):
            continue
        if packet.stream is video and packet.pts is not None and packet.time_base is not None:
            # The file's end, from the packets: frames nothing refers to are not decoded,
            # so the last picture seen may be a few frames short of it (a looping replay
            # would lose that much stream time every round).
            tail = packet.pts + (packet.duration or 0)
            end = max(end, round(float(tail * packet.time_base) * 1000))
        try:
            frames = packet.decode()
        except (av.error.InvalidDataError, av.error.FFmpegError):
            continue
        for frame in frames:
            if getattr(frame, "is_corrupt", False) or frame.pts is None or frame.time_base is None:
                continue
            pts_ms = round(float(frame.pts * frame.time_base) * 1000)
            if isinstance(frame, av.AudioFrame):
                assert resampler is not None
                at = clock.stamp(pts_ms) if clock.offset is not None else None
                if at is None:
                    continue  # sound before the first picture has no clock yet
                for out in resampler.resample(frame):
                    pcm = out.to_ndarray().reshape(-1).astype(np.float32)
                    if pending_start is None:
                        pending_start = at
                    pending.append(pcm)
                if sum(p.size for p in pending) >= SOUND_PIECE_SECONDS * SAMPLE_RATE:
                    assert pending_start is not None
                    pcm = np.concatenate(pending)
                    # Pieces that follow on are stamped contiguously (the sound models
                    # start a new track at any jump), whatever the jitter of arrival.
                    if sound_next is not None and abs(pending_start - sound_next) < 500:
                        pending_start = sound_next
                    sound_next = pending_start + round(pcm.size * 1000 / SAMPLE_RATE)
                    yield Sound(pending_start, pcm)
                    pending, pending_start = [], None
                continue
            first = pts_ms if first is None else first
            last = max(last, pts_ms)
            at = clock.stamp(pts_ms)
            if paced:
                wait = (at - now_ms()) / 1000
                if wait > 0 and stop.wait(wait):
                    return 0
            luma = _luma_thumb(frame)
            # A cut is sampled at once, not at the next tick: a new scene's labels need two
            # samples to be confirmed, so this saves up to a sample interval of latency.
            cut = shots.update(at, luma)
            if not sampler.take(at) and not cut:
                continue
            if cut:
                sampler.restart(at)
            size = _analysis_size(frame.width, frame.height)
            rgb = frame.to_ndarray(format="rgb24", width=size[0], height=size[1])
            picture = frame if frame.width > size[0] else None  # OCR crops from it
            yield Picture(DecodedFrame(at, luma, rgb, picture))
    return 0
