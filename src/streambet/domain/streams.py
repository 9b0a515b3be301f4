"""Live stream rules: statuses and their transitions, source URLs, coverage and gaps.

A stream is `idle` until its operator starts it. A started stream is `starting` until its
live job has a picture, `live` while pictures arrive, `stalled` when they stop arriving for
a while on an open connection, `reconnecting` while the job opens the source again (with
backoff), `ended` when the source says it has ended (a replay that does not loop), and
`failed` when the source could not be read within its time limit (the reason says why).
Stopping makes it `idle` again; an ended or failed stream may be started again.

Stream time is wall-clock milliseconds since the epoch (the time a picture was taken from
its source), so a market on "20:05 to 20:07" (part 2) reads the same clock as its coverage.
Coverage is the list of intervals the engine analysed; the gaps lie between them, each with
the reason the interval before it ended.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import PurePosixPath
from urllib.parse import urlsplit

from streambet.domain.errors import Conflict, ValidationFailed


class StreamStatus(StrEnum):
    IDLE = "idle"
    STARTING = "starting"
    LIVE = "live"
    STALLED = "stalled"
    RECONNECTING = "reconnecting"
    ENDED = "ended"
    FAILED = "failed"

    @property
    def running(self) -> bool:
        """A live job should hold this stream (a worker claims it if none does)."""
        return self in RUNNING


S = StreamStatus
RUNNING = frozenset({S.STARTING, S.LIVE, S.STALLED, S.RECONNECTING})
_ACTIVE = frozenset({S.LIVE, S.STALLED, S.RECONNECTING, S.ENDED, S.FAILED, S.IDLE})
TRANSITIONS: dict[StreamStatus, frozenset[StreamStatus]] = {
    S.IDLE: frozenset({S.STARTING}),
    # a job that takes over a running stream starts it again
    S.STARTING: _ACTIVE | {S.STARTING},
    S.LIVE: _ACTIVE - {S.LIVE} | {S.STARTING},
    S.STALLED: _ACTIVE - {S.STALLED} | {S.STARTING},
    S.RECONNECTING: _ACTIVE - {S.RECONNECTING} | {S.STARTING},
    S.ENDED: frozenset({S.STARTING, S.IDLE}),
    S.FAILED: frozenset({S.STARTING, S.IDLE}),
}


def check_transition(current: str, target: StreamStatus) -> StreamStatus:
    status = StreamStatus(current)
    if target not in TRANSITIONS[status]:
        raise Conflict(
            f"A {status.value} stream cannot become {target.value}.",
            code="invalid_transition",
            details={"status": status.value, "target": target.value},
        )
    return target


# -- source URLs --

NETWORK_SCHEMES = frozenset({"http", "https", "rtmp", "rtmps", "rtsp", "rtsps", "srt"})
SCHEMES = NETWORK_SCHEMES | {"replay", "twitch", "kinesis"}
TWITCH_HOSTS = frozenset({"twitch.tv", "www.twitch.tv", "m.twitch.tv"})
MAX_URL = 2048


@dataclass(frozen=True)
class UrlPolicy:
    """Where a stream may point. `production` refuses addresses of this machine, its
    networks and the cloud's metadata service, and files outside `media_dir`;
    `allow_loopback` lets tests and development use a local server in production mode."""

    production: bool
    media_dir: str  # absolute; replay: files must lie inside it in production
    allow_loopback: bool = False


@dataclass(frozen=True)
class SourceUrl:
    scheme: str
    host: str  # empty for replay: and kinesis:
    path: str  # the file of replay:, the channel of twitch, the stream name of kinesis:


def parse_source_url(url: str) -> SourceUrl:
    """Structure only (no lookups): a known scheme and what it needs. 400 otherwise."""
    if not url or len(url) > MAX_URL or any(c.isspace() or ord(c) < 32 for c in url):
        raise ValidationFailed("The source URL is empty, too long or contains spaces.")
    try:
        parts = urlsplit(url)
        _ = parts.port  # raises on a malformed port
    except ValueError:
        raise ValidationFailed("The source URL is malformed.", code="bad_source_url") from None
    scheme = parts.scheme.lower()
    if scheme not in SCHEMES:
        raise ValidationFailed(
            f"Unsupported source scheme {scheme!r}.",
            code="bad_source_url",
            details={"supported": sorted(SCHEMES)},
        )
    if scheme == "replay":
        path = url.split(":", 1)[1].split("?", 1)[0]
        if not path.startswith("/"):
            raise ValidationFailed(
                "replay: takes an absolute file path (replay:/media/clip.mp4).",
                code="bad_source_url",
            )
        return SourceUrl(scheme, "", path)
    if scheme == "kinesis":  # kinesis://STREAM_NAME (the region is the deployment's)
        name = parts.netloc
        if not name or not all(c.isalnum() or c in "_.-" for c in name) or len(name) > 256:
            raise ValidationFailed(
                "kinesis: takes a stream name (kinesis://my-stream).", code="bad_source_url"
            )
        return SourceUrl(scheme, "", name)
    host = (parts.hostname or "").lower()
    if not host:
        raise ValidationFailed("The source URL names no host.", code="bad_source_url")
    if scheme in ("http", "https") and host in TWITCH_HOSTS:
        scheme = "twitch"
    if scheme == "twitch":
        channel = parts.path.strip("/") if host in TWITCH_HOSTS else host
        if not channel or not all(c.isalnum() or c == "_" for c in channel):
            raise ValidationFailed(
                "A Twitch source is https://twitch.tv/CHANNEL.", code="bad_source_url"
            )
        return SourceUrl("twitch", "twitch.tv", channel)
    return SourceUrl(scheme, host, parts.path)


def refused_address(address: str, policy: UrlPolicy) -> str | None:
    """Why production refuses to connect to `address` (None: it may)."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if ip.is_loopback:
        return None if policy.allow_loopback else "a loopback address (this server)"
    if ip.is_link_local:
        return "a link-local address (where cloud metadata services live)"
    if ip.is_unspecified or ip.is_multicast or ip.is_reserved:
        return "an address that is not a host"
    if ip.is_private or not ip.is_global:
        return "a private network address"
    return None


def check_addresses(host: str, addresses: Sequence[str], policy: UrlPolicy) -> None:
    """Every address the host resolves to must be allowed (a name resolving to both a public
    and a private address is refused: the connection could take either)."""
    if not policy.production:
        return
    if not addresses:
        raise ValidationFailed(
            f"The source host {host!r} does not resolve.", code="source_unresolvable"
        )
    for address in addresses:
        why = refused_address(address, policy)
        if why is not None:
            raise ValidationFailed(
                f"The source host {host!r} resolves to {why}; streams may not point there.",
                code="source_refused",
                details={"address": address},
            )


def check_media_path(path: str, policy: UrlPolicy) -> None:
    """replay: files must lie inside the media folder in production (no `..` tricks: the
    caller passes the resolved path)."""
    if not policy.production:
        return
    media = PurePosixPath(policy.media_dir)
    if not policy.media_dir or not PurePosixPath(path).is_relative_to(media):
        raise ValidationFailed(
            "replay: files must lie inside the media folder (STREAMBET_LIVE_MEDIA_DIR).",
            code="source_refused",
        )


# -- coverage --


@dataclass(frozen=True)
class Interval:
    from_ms: int
    until_ms: int
    end_reason: str | None = None  # why analysis stopped after it; None: still open, or lost


@dataclass(frozen=True)
class Gap:
    from_ms: int
    until_ms: int
    reason: str


WORKER_LOST = "the worker stopped without a word (its lease lapsed)"


def gaps(intervals: Iterable[Interval]) -> list[Gap]:
    """The stream time between consecutive analysed intervals (ordered by start), with the
    reason the interval before each gap ended; overlaps are no gap."""
    ordered = sorted(intervals, key=lambda i: (i.from_ms, i.until_ms))
    out: list[Gap] = []
    reach: Interval | None = None
    for interval in ordered:
        if reach is not None and interval.from_ms > reach.until_ms:
            out.append(Gap(reach.until_ms, interval.from_ms, reach.end_reason or WORKER_LOST))
        if reach is None or interval.until_ms >= reach.until_ms:
            reach = interval
    return out


def covered_ms(intervals: Iterable[Interval], from_ms: int, until_ms: int) -> int:
    """How much of [from_ms, until_ms) the intervals cover (for part 2's windows)."""
    total, reach = 0, from_ms
    for i in sorted(intervals, key=lambda i: i.from_ms):
        start, end = max(i.from_ms, reach), min(i.until_ms, until_ms)
        if end > start:
            total += end - start
            reach = end
    return total
