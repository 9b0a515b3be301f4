"""Typed errors every layer raises; the API maps each kind to one HTTP status."""

from __future__ import annotations

from typing import Any


class StreamBetError(Exception):
    """Base error with a stable machine code, a sentence for people and optional details."""

    code = "error"

    def __init__(self, message: str, *, details: Any = None, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details
        if code is not None:
            self.code = code


class ValidationFailed(StreamBetError):
    code = "validation_failed"


class Unauthenticated(StreamBetError):
    code = "unauthenticated"


class PermissionDenied(StreamBetError):
    code = "forbidden"


class NotFound(StreamBetError):
    code = "not_found"


class Conflict(StreamBetError):
    code = "conflict"


class PayloadTooLarge(StreamBetError):
    code = "payload_too_large"


class UnsupportedMedia(StreamBetError):
    code = "unsupported_media_type"


class InsufficientFunds(Conflict):
    code = "insufficient_funds"


class Unavailable(StreamBetError):
    """Something we depend on (a payment provider) gave no answer: try again later."""

    code = "unavailable"
