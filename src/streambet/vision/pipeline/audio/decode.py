"""The sound track as 16 kHz mono float32, in blocks, with PyAV.

Both models want 16 kHz mono. Decoding streams block by block so a six-hour video does
not hold 1.4 GB of samples at once; a file without an audio track yields nothing.
Sample 0 is the video stream's first timestamp, the origin the frame decoder uses too: a
track that starts later is preceded by silence, encoder pre-roll before it is dropped.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import av
import av.error
import numpy as np
from numpy.typing import NDArray

SAMPLE_RATE = 16_000
# Whole seconds, so one-second YAMNet windows never straddle two blocks.
BLOCK_SECONDS = 600


def decode_blocks(
    path: Path, *, block_seconds: int = BLOCK_SECONDS, max_seconds: float | None = None
) -> Iterator[NDArray[Any]]:
    """Yield consecutive blocks of at most `block_seconds` of 16 kHz mono float32 samples.

    Every block but the last is exactly `block_seconds` long, so block k starts at
    k * block_seconds. Packets that fail to decode are skipped (a damaged stretch loses
    its sound, not the whole track).
    """
    block_len = block_seconds * SAMPLE_RATE
    limit = None if max_seconds is None else round(max_seconds * SAMPLE_RATE)
    emitted = 0
    pending: list[NDArray[Any]] = []
    pending_len = 0
    with av.open(str(path), mode="r", metadata_errors="ignore") as container:
        if not container.streams.audio:
            return
        stream = container.streams.audio[0]
        resampler = av.AudioResampler(format="flt", layout="mono", rate=SAMPLE_RATE)
        for chunk in _aligned(_resampled(container, stream, resampler), _origin_s(container)):
            if limit is not None:
                chunk = chunk[: max(0, limit - emitted - pending_len)]
            pending.append(chunk)
            pending_len += chunk.size
            while pending_len >= block_len:
                joined = np.concatenate(pending)
                yield joined[:block_len]
                emitted += block_len
                rest = joined[block_len:]
                pending, pending_len = [rest], rest.size
            if limit is not None and emitted + pending_len >= limit:
                break
    if pending_len:
        yield np.concatenate(pending)


def _origin_s(container: av.container.InputContainer) -> float:
    """Where time zero is: the video stream's start, else the audio stream's, else 0."""
    for streams in (container.streams.video, container.streams.audio):
        if streams and streams[0].start_time is not None and streams[0].time_base is not None:
            return float(streams[0].start_time * streams[0].time_base)
    return 0.0


def _aligned(
    chunks: Iterator[tuple[float | None, NDArray[Any]]], origin_s: float
) -> Iterator[NDArray[Any]]:
    """Pad or trim the start so the first sample sits at its time from `origin_s`."""
    trim = 0
    for time_s, chunk in chunks:
        if time_s is not None:
            shift = round((time_s - origin_s) * SAMPLE_RATE)
            for begin in range(0, shift, SAMPLE_RATE * 60):  # a minute of silence at a time
                yield np.zeros(min(SAMPLE_RATE * 60, shift - begin), dtype=np.float32)
            trim = max(0, -shift)
        if trim:
            dropped = min(trim, chunk.size)
            chunk, trim = chunk[dropped:], trim - dropped
        if chunk.size:
            yield chunk


def _resampled(
    container: av.container.InputContainer,
    stream: av.audio.stream.AudioStream,
    resampler: av.AudioResampler,
) -> Iterator[tuple[float | None, NDArray[Any]]]:
    """(time, samples) pairs; only the first carries a time: the first frame's."""
    started = False
    first_time: float | None = None  # rides on the first chunk out, then None
    try:
        for packet in container.demux(stream):
            try:
                frames = packet.decode()
            except av.error.InvalidDataError:
                continue
            for frame in frames:
                if not started:
                    started, first_time = True, frame.time
                for out in resampler.resample(frame):
                    yield first_time, out.to_ndarray().reshape(-1).astype(np.float32, copy=False)
                    first_time = None
    except av.error.FFmpegError:
        pass  # a truncated tail: keep what decoded
    for out in resampler.resample(None):
        yield first_time, out.to_ndarray().reshape(-1).astype(np.float32, copy=False)
        first_time = None
