"""Threaded PyAV decoding with sampling by presentation time.

One background thread demuxes and decodes (FFmpeg's own frame/slice threads underneath);
the caller iterates over `DecodedFrame`s while the next frames decode, so decoding overlaps
inference. Timestamps are taken from each frame's pts (never index / fps), relative to the
stream's first timestamp, so variable frame rate and streams that do not start at zero get
correct times. Every decoded frame yields cheap statistics (a small luma thumbnail) for
shot and black-frame detection; only frames chosen by the sampler are converted to RGB.
Packets that are flagged corrupt, fail to decode, or decode into a damaged (error-concealed)
frame are skipped and counted in `DecodeStats.skipped_packets`; they are not fatal.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Generator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import av
import av.error
import numpy as np
from numpy.typing import NDArray

from streambet.vision.errors import VideoTooLarge

# Luma thumbnail for frame statistics: enough for histograms and block differences.
THUMB_W, THUMB_H = 64, 36
# RGB given to detectors: the classifier needs 384 x 224, BlazeFace 192 x 192, and OCR is
# capped at 640 px on its long side anyway; more pixels would only cost conversion time.
ANALYSIS_MAX_W, ANALYSIS_MAX_H = 640, 360
_PLANAR_YUV = {"yuv420p", "yuvj420p", "yuv422p", "yuvj422p", "yuv444p", "yuvj444p", "nv12"}


@dataclass(frozen=True)
class DecodedFrame:
    timestamp_ms: int
    luma: NDArray[Any]  # THUMB_H x THUMB_W uint8, every decoded frame
    rgb: NDArray[Any] | None  # H x W x 3 uint8 at analysis size, sampled frames only
    # the decoded picture at its own size, on sampled frames larger than the analysis size:
    # OCR crops text regions from it (converted only where it reads)
    picture: av.VideoFrame | None = None


@dataclass
class DecodeStats:
    frames: int = 0
    sampled: int = 0
    skipped_packets: int = 0
    first_pts_ms: int | None = None
    last_timestamp_ms: int = -1
    error: str | None = None  # demuxing stopped early (damaged or cut short)


def _analysis_size(width: int, height: int) -> tuple[int, int]:
    scale = min(1.0, ANALYSIS_MAX_W / width, ANALYSIS_MAX_H / height)
    return max(2, round(width * scale / 2) * 2), max(2, round(height * scale / 2) * 2)


def _luma_thumb(frame: av.VideoFrame) -> NDArray[Any]:
    if frame.format.name in _PLANAR_YUV:
        plane = frame.planes[0]
        y = np.frombuffer(memoryview(plane), np.uint8).reshape(plane.height, plane.line_size)
        y = y[:, : plane.width]
        step_y, step_x = max(1, plane.height // THUMB_H), max(1, plane.width // THUMB_W)
        thumb = y[: step_y * THUMB_H : step_y, : step_x * THUMB_W : step_x]
        if thumb.shape == (THUMB_H, THUMB_W):
            return np.ascontiguousarray(thumb)
    return frame.to_ndarray(format="gray", width=THUMB_W, height=THUMB_H)


class FrameSampler:
    """Chooses, for each sample time k * interval, the first frame shown at or after it.

    After a gap (VFR, dropped frames) the pending sample times inside the gap collapse onto
    the next real frame: each emitted sample is a real frame with its real timestamp."""

    def __init__(self, interval_ms: int) -> None:
        self.interval_ms = max(1, interval_ms)
        self._next = 0
        self._off_grid = False  # since a sample out of turn, until back on the ticks

    def take(self, timestamp_ms: int) -> bool:
        if timestamp_ms + 1 < self._next:  # 1 ms tolerance for rounded rational times
            return False
        self._next = (timestamp_ms // self.interval_ms + 1) * self.interval_ms
        if self._off_grid:
            self._next = max(self._next, timestamp_ms + self.interval_ms // 2)
            self._off_grid = False
        return True

    def restart(self, timestamp_ms: int) -> None:
        """A sample was taken at `timestamp_ms` out of turn (a cut): the next two come at
        least half an interval apart, not at ticks that may be a frame away: two samples of
        one moment would confirm a label as if it had lasted (the smoothing counts them)."""
        self._next = timestamp_ms + self.interval_ms // 2
        self._off_grid = True


def decode_frames(
    path: Path,
    *,
    sample_interval_ms: int,
    stats: DecodeStats,
    stop: threading.Event | None = None,
    max_stat_fps: float = 15.0,
    reference_frames_only: bool = False,
    max_ms: int | None = None,
) -> Generator[DecodedFrame, None, None]:
    """Yields frames in presentation order. `stats` is filled as decoding goes.

    Frames above `max_stat_fps` are decoded (they must be, for inter prediction) but not
    handed over, except when the sampler wants them. `reference_frames_only` tells FFmpeg
    not to decode frames nothing else refers to (most B-frames): about a third less decode
    work; samples then land on the nearest reference frame at or after each mark (for
    30 fps H.264, within a frame or two), still with that frame's exact timestamp.
    `max_ms`: a frame later than this raises VideoTooLarge (measured while decoding, for
    a file whose header understated its length)."""
    out: queue.Queue[DecodedFrame | BaseException | None] = queue.Queue(maxsize=16)
    stop = stop or threading.Event()

    def put(item: DecodedFrame | BaseException | None) -> bool:
        while not stop.is_set():
            try:
                out.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def worker() -> None:
        try:
            _decode_into(
                path,
                sample_interval_ms,
                stats,
                stop,
                put,
                max_stat_fps,
                reference_frames_only,
                max_ms,
            )
        except BaseException as exc:  # handed to the consumer, re-raised there
            put(exc)
        else:
            put(None)

    thread = threading.Thread(target=worker, name="vision-decode", daemon=True)
    thread.start()
    try:
        while True:
            item = out.get()
            if item is None:
                return
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
        thread.join(timeout=10)


def _decode_into(
    path: Path,
    sample_interval_ms: int,
    stats: DecodeStats,
    stop: threading.Event,
    put: Callable[[DecodedFrame | BaseException | None], bool],
    max_stat_fps: float,
    reference_frames_only: bool,
    max_ms: int | None = None,
) -> None:
    sampler = FrameSampler(sample_interval_ms)
    stat_interval_ms = 1000.0 / max_stat_fps
    last_stat_ms = -1e9
    with av.open(str(path), mode="r", metadata_errors="ignore") as container:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        stream.codec_context.thread_count = 0  # FFmpeg picks (one per core)
        if reference_frames_only:
            stream.codec_context.skip_frame = "NONREF"
        time_base = stream.time_base
        origin = stream.start_time
        size = _analysis_size(stream.codec_context.width, stream.codec_context.height)
        packets = container.demux(stream)
        while not stop.is_set():
            try:
                packet = next(packets)
            except StopIteration:
                break
            except av.error.FFmpegError as exc:  # the container itself is damaged here
                stats.error = f"{type(exc).__name__}: {exc}"
                stats.skipped_packets += 1
                break
            if packet.is_corrupt:
                stats.skipped_packets += 1
                continue
            try:
                frames = packet.decode()
            except av.error.InvalidDataError:
                stats.skipped_packets += 1
                continue
            for frame in frames:
                if frame.is_corrupt:  # decoded with errors concealed: garbage regions
                    stats.skipped_packets += 1
                    continue
                pts = frame.pts if frame.pts is not None else frame.dts
                if pts is None or time_base is None:
                    stats.skipped_packets += 1
                    continue
                if origin is None:
                    origin = pts
                if stats.first_pts_ms is None:
                    stats.first_pts_ms = round(float(pts * time_base) * 1000)
                ts = round(float((pts - origin) * time_base) * 1000)
                if ts < 0:  # pre-roll before the declared start (edit lists, B-frames)
                    continue
                if max_ms is not None and ts > max_ms:
                    raise VideoTooLarge(f"The video lasts more than {max_ms // 1000} s, the limit.")
                stats.frames += 1
                stats.last_timestamp_ms = max(stats.last_timestamp_ms, ts)
                sampled = sampler.take(ts)
                if not sampled and ts - last_stat_ms < stat_interval_ms:
                    continue
                last_stat_ms = ts
                rgb, picture = None, None
                if sampled:
                    rgb = frame.to_ndarray(format="rgb24", width=size[0], height=size[1])
                    picture = frame if frame.width > size[0] else None
                    stats.sampled += 1
                if not put(DecodedFrame(ts, _luma_thumb(frame), rgb, picture)):
                    return
