"""Typed errors for bad input and interrupted analysis; each has a stable code."""

from __future__ import annotations


class VideoError(Exception):
    """The input cannot be analysed. `code` is stable; the message is for people."""

    code = "invalid_video"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class EmptyFile(VideoError):
    code = "empty_file"


class NotAVideo(VideoError):
    """Not a container we can open, or a still image renamed to a video extension."""

    code = "not_a_video"


class NoVideoStream(VideoError):
    """A valid container with no video track (e.g. audio only)."""

    code = "no_video_stream"


class TruncatedVideo(VideoError):
    code = "truncated_video"


class VideoTooLarge(VideoError):
    """Duration or dimensions beyond the configured caps (checked before decoding)."""

    code = "video_too_large"


class AnalysisCanceled(Exception):
    """Raised inside an engine when its cancel flag is set."""
