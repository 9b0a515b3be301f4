"""Token buckets for throttling (logins per account and per client address).

A bucket holds up to `capacity` tokens and regains `capacity` over `window_seconds`; each
attempt takes one. An empty bucket refuses, and says when the next token will be there.
Pure arithmetic on (tokens, last update): where the buckets live is the service's business.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime

from streambet.domain.errors import StreamBetError


class TooManyRequests(StreamBetError):
    code = "too_many_requests"

    def __init__(self, message: str, retry_after: int, *, details: object = None) -> None:
        super().__init__(message, details=details)
        self.retry_after = retry_after


@dataclass(frozen=True)
class Bucket:
    capacity: int
    window_seconds: float

    @property
    def rate(self) -> float:
        """Tokens regained a second."""
        return self.capacity / self.window_seconds

    def level(self, tokens: float, updated: datetime, now: datetime) -> float:
        """The tokens at `now`, from `tokens` at `updated`."""
        elapsed = max(0.0, (now - updated).total_seconds())
        return min(float(self.capacity), tokens + elapsed * self.rate)

    def wait_seconds(self, tokens: float) -> int:
        """Whole seconds until a bucket at `tokens` holds one again (0: it does)."""
        return 0 if tokens >= 1 else max(1, math.ceil((1 - tokens) / self.rate))
