"""Still frames of a video at given times, as JPEG (the evidence kept after the upload goes).

Times are milliseconds from the stream's first timestamp, as in pipeline/decode.py, so a
stream that does not start at zero gives the same frames the engine saw. Nearby times are
served by one forward decode; a time far ahead seeks to the keyframe before it instead.
"""

from __future__ import annotations

import io
from collections.abc import Iterator, Sequence
from pathlib import Path

import av
import av.error
from PIL import Image

# Farther ahead than this, seeking (to the keyframe before the time) beats decoding on.
SEEK_AHEAD_MS = 4000
_Frame = tuple[int, av.VideoFrame]


def _decoded(
    container: av.container.InputContainer, stream: av.VideoStream, origin: int
) -> Iterator[_Frame]:
    """(ms, frame) for each intact frame from the container's current position."""
    time_base = stream.time_base
    assert time_base is not None
    for packet in container.demux(stream):
        if packet.is_corrupt:
            continue
        try:
            frames = packet.decode()
        except av.error.InvalidDataError:
            continue
        for frame in frames:
            pts = frame.pts if frame.pts is not None else frame.dts
            if frame.is_corrupt or pts is None:
                continue
            ms = round(float((pts - origin) * time_base) * 1000)
            if ms >= 0:  # pre-roll before the declared start is never shown
                yield ms, frame


def _jpeg(frame: av.VideoFrame, max_width: int, quality: int) -> bytes:
    width, height = frame.width, frame.height
    if width > max_width:
        width, height = max_width, max(2, round(height * max_width / width / 2) * 2)
    rgb = frame.to_ndarray(format="rgb24", width=width, height=height)
    out = io.BytesIO()
    Image.fromarray(rgb).save(out, format="JPEG", quality=quality)
    return out.getvalue()


def _nearest(target: int, before: _Frame | None, after: _Frame | None) -> _Frame | None:
    """`after` is the first frame at or past the target, or the last one when none is."""
    if after is None or before is None or after[0] <= target:
        return after or before
    return before if target - before[0] < after[0] - target else after


def extract_frames(
    path: Path, timestamps_ms: Sequence[int], max_width: int = 480, quality: int = 80
) -> Iterator[tuple[int, bytes]]:
    """Yields (requested ms, JPEG of the frame nearest it) in ascending time order, once per
    distinct time; times past the end get the last frame. Raises av.error.FFmpegError
    when the file cannot be opened."""
    targets = sorted({max(0, int(t)) for t in timestamps_ms})
    if not targets:
        return
    with av.open(str(path), mode="r", metadata_errors="ignore") as container:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        time_base = stream.time_base
        assert time_base is not None
        origin = stream.start_time
        if origin is None:  # fall back to the container's start (microseconds)
            origin = round((container.start_time or 0) / 1_000_000 / time_base)
        frames: Iterator[_Frame] | None = None
        before: _Frame | None = None
        after: _Frame | None = None
        ended = False
        for target in targets:
            far = after is not None and target - after[0] > SEEK_AHEAD_MS and not ended
            if frames is None or far:
                offset = origin + round(target / 1000 / time_base)
                container.seek(offset, stream=stream, backward=True, any_frame=False)
                frames, before, after, ended = (
                    _decoded(container, stream, origin),
                    None,
                    None,
                    False,
                )
            while not ended and (after is None or after[0] < target):
                step = next(frames, None)
                if step is None:
                    ended = True
                else:
                    before, after = after, step
            chosen = _nearest(target, before, after)
            if chosen is not None:
                yield target, _jpeg(chosen[1], max_width, quality)
