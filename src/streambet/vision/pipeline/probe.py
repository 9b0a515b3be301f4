"""Cheap container inspection with PyAV: is this a video we can analyse, and what is it?

Runs before any decoding, so uploads can be refused early and caps apply before a decoder
allocates anything. The file name and the client's content type are never trusted.
"""

from __future__ import annotations

from pathlib import Path

import av
import av.error

from streambet.timeline import VideoMetadata
from streambet.vision.errors import (
    EmptyFile,
    NotAVideo,
    NoVideoStream,
    TruncatedVideo,
    VideoTooLarge,
)

# Demuxers that read single pictures; an image renamed .mp4 opens with one of these.
_IMAGE_DEMUXERS = ("image2", "_pipe", "gif", "apng", "webp", "tiff", "bmp")
_STILL_CODECS = {"png", "bmp", "tiff", "webp", "gif", "jpeg2000"}
# Container signatures: a file that starts like a video container but will not open was
# cut short, which deserves a different message from "not a video at all".
_CONTAINER_MAGIC = (b"ftyp", b"RIFF", b"\x1a\x45\xdf\xa3", b"moov", b"mdat", b"free")


def _looks_like_container(path: Path) -> bool:
    with path.open("rb") as fh:
        head = fh.read(16)
    return any(magic in head for magic in _CONTAINER_MAGIC)


def _rate(stream: av.video.stream.VideoStream) -> float:
    rate = stream.average_rate or stream.guessed_rate or stream.base_rate
    return round(float(rate), 3) if rate else 0.0


def _duration_ms(
    container: av.container.InputContainer, stream: av.video.stream.VideoStream
) -> int:
    if stream.duration is not None and stream.time_base is not None:
        return round(float(stream.duration * stream.time_base) * 1000)
    if container.duration is not None:
        # microseconds; some muxers (Matroska) write the end time, not the length
        start = container.start_time or 0
        return round((container.duration - max(0, start)) / 1000)
    return 0


def probe_video(
    path: Path, *, max_seconds: int = 6 * 3600, max_pixels: int = 4096 * 2160
) -> VideoMetadata:
    """Raises a VideoError subclass with a clear message when the file will not do."""
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        raise NotAVideo("The file does not exist.") from None
    if size == 0:
        raise EmptyFile("The file is empty.")
    try:
        container = av.open(str(path), mode="r", metadata_errors="ignore")
    except av.error.FFmpegError:
        if _looks_like_container(path):
            raise TruncatedVideo(
                "The video file is incomplete (it was probably cut short while uploading)."
            ) from None
        raise NotAVideo(
            "This file is not a video we can read (MP4, MOV, AVI, MKV, WebM)."
        ) from None
    with container:
        demuxer = container.format.name
        if any(marker in demuxer for marker in _IMAGE_DEMUXERS):
            raise NotAVideo("This is a still image, not a video.")
        if not container.streams.video:
            raise NoVideoStream("The file has no video track (is it audio only?).")
        stream = container.streams.video[0]
        codec = stream.codec_context.codec.canonical_name  # "av1", not the decoder "libdav1d"
        if codec in _STILL_CODECS:
            raise NotAVideo("This is a still image, not a video.")
        width, height = stream.codec_context.width, stream.codec_context.height
        if width <= 0 or height <= 0:
            raise TruncatedVideo("The video track has no picture size; the file is damaged.")
        if width * height > max_pixels:
            raise VideoTooLarge(
                f"The video is {width}x{height}; the limit is {max_pixels:,} pixels a frame."
            )
        duration_ms = _duration_ms(container, stream)
        if duration_ms <= 0:  # a live-written file (Matroska) states no duration
            duration_ms = _measured_ms(container, stream, max_seconds * 1000)
            container.seek(0)
        if duration_ms > max_seconds * 1000:
            raise VideoTooLarge(
                f"The video lasts more than {max_seconds} s, the limit"
                f" ({duration_ms / 1000:.1f} s or more)."
            )
        color_range = "FULL" if stream.codec_context.color_range == 2 else "LIMITED"
        long_name = container.format.long_name or demuxer
        frame_rate = _rate(stream)
        if not _decodes_a_frame(container, stream):
            raise TruncatedVideo("No picture in this video can be decoded; the file is damaged.")
    return VideoMetadata(
        codec=codec,
        duration_ms=duration_ms,
        format=long_name,
        frame_rate=frame_rate,
        frame_width=width,
        frame_height=height,
        color_range=color_range,
    )


def _measured_ms(
    container: av.container.InputContainer, stream: av.video.stream.VideoStream, limit_ms: int
) -> int:
    """How long the video track lasts by its packets' times (demuxed, not decoded, so
    cheap), reading no further than just past `limit_ms`."""
    time_base = stream.time_base
    if time_base is None:
        return 0
    first: int | None = None
    end = 0
    try:
        for packet in container.demux(stream):
            pts = packet.pts if packet.pts is not None else packet.dts
            if pts is None:
                continue
            first = pts if first is None else min(first, pts)
            end = max(end, pts + (packet.duration or 0))
            if round(float((end - first) * time_base) * 1000) > limit_ms:
                break  # past the limit: no need to read the rest
    except av.error.FFmpegError:
        pass  # a damaged tail: what was read is what there is
    return 0 if first is None else round(float((end - first) * time_base) * 1000)


def _decodes_a_frame(
    container: av.container.InputContainer, stream: av.video.stream.VideoStream
) -> bool:
    try:
        for packet in container.demux(stream):
            try:
                for _frame in packet.decode():
                    return True
            except av.error.InvalidDataError:
                continue
    except av.error.FFmpegError:
        return False
    return False
