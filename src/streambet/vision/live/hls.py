"""Live HLS read the way a low-latency player reads it, for media playlists of MPEG-TS
segments: the playlist is polled often around the time the next segment is due (every
tenth of a target duration, 0.1-1 s; seldom otherwise), or asked for the next segment
with a blocking reload (`_HLS_msn`) when the server offers one (EXT-X-SERVER-CONTROL
CAN-BLOCK-RELOAD=YES); reading starts at the live edge (the last segment), each new
segment (by media sequence number) is fetched once, and the segments'
bytes are handed to PyAV's mpegts demuxer as one file (`HlsFeed.read`), so decoding,
sampling and stamping stay the one path of source.py.

Why not FFmpeg's HLS demuxer: it reloads a live playlist only after the last segment's
duration and then every half target duration while nothing is new, so a finished segment
was noticed up to half a segment late (bench/live.py). That half target duration is RFC
8216's rule for a playlist found unchanged (6.3.4); polling faster departs from it for
latency, as low-latency players do, and a server that offers blocking reloads is asked
that way instead.

What this reader leaves to FFmpeg's demuxer (`open_feed` returns None): encrypted segments
(EXT-X-KEY), fMP4 segments (EXT-X-MAP: what Kinesis Video's HLS sessions serve by
default) and byte-range segments. Not handled: LL-HLS partial segments (EXT-X-PART; their
whole segments are read). A master playlist is read through its first variant (as
FFmpeg's first video stream). Across EXT-X-DISCONTINUITY the bytes run on, as FFmpeg's
demuxer does (the clock in source.py maps the new timestamps). A segment the server no
longer has (404, 410) is skipped; any other failure, or no new segment for the read
timeout (at least one and a half target durations), loses the connection (SourceLost).

Every request, playlists and segments, is made by the URL guard (guard.py): each host is
vetted and the connection goes to the vetted address.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol
from urllib.parse import urljoin, urlsplit

import urllib3.exceptions

from streambet.vision.live.guard import HttpStatusError

# Reloads: none before this fraction of the last new segment's duration has passed, then
# every tenth of a target duration (0.1-1 s) while the next one is due, then (a stalled
# stream) every quarter target duration (0.1-2 s).
DUE_EARLY = 0.75
FAST_FRACTION, SLOW_FRACTION = 0.1, 0.25
POLL_MIN, FAST_MAX, SLOW_MAX = 0.1, 1.0, 2.0
MAX_PLAYLIST_BYTES = 1 << 20
FETCHED_KEPT = 256
# The demuxer's options for a feed: a short probe, and the probed packets kept (FFmpeg's
# `nobuffer` would drop them, here the whole live-edge segment).
DEMUX_OPTIONS = {"analyzeduration": "1000000", "probesize": "500000"}
# Why FFmpeg's demuxer reads a playlist instead, by tag.
LEFT_TO_FFMPEG = {
    "#EXT-X-MAP": "fMP4 segments (EXT-X-MAP)",
    "#EXT-X-BYTERANGE": "byte-range segments (EXT-X-BYTERANGE)",
}


class Body(Protocol):
    def read(self, n: int = -1) -> bytes: ...
    def close(self) -> None: ...


Fetch = Callable[[str], Body]  # url -> the response body (Guard.fetch)


@dataclass(frozen=True)
class Segment:
    sequence: int
    url: str
    duration: float


@dataclass(frozen=True)
class MediaPlaylist:
    target_duration: float
    segments: list[Segment]
    ended: bool  # EXT-X-ENDLIST: no segment will be added
    can_block_reload: bool
    unsupported: str | None  # why FFmpeg's demuxer must read it


@dataclass(frozen=True)
class MasterPlaylist:
    variants: list[str]  # absolute URLs, in the playlist's order


def _attributes(value: str) -> dict[str, str]:
    """An attribute list (`A=1,B="x,y"`) as a dict, quotes removed."""
    out: dict[str, str] = {}
    key, buf, quoted = "", "", False
    for ch in value + ",":
        if ch == '"':
            quoted = not quoted
        elif ch == "=" and not quoted and not key:
            key, buf = buf.strip(), ""
        elif ch == "," and not quoted:
            if key:
                out[key.upper()] = buf.strip()
            key, buf = "", ""
        else:
            buf += ch
    return out


def parse_playlist(text: str, url: str) -> MediaPlaylist | MasterPlaylist:
    """A playlist's text, fetched from `url` (relative URIs are resolved against it).
    ValueError when it is not an HLS playlist."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    if not lines or not lines[0].startswith("#EXTM3U"):
        raise ValueError("not an HLS playlist (no #EXTM3U)")
    variants: list[str] = []
    segments: list[Segment] = []
    target = 0.0
    sequence = 0
    duration: float | None = None
    variant_next = ended = can_block = False
    unsupported: str | None = None
    for line in lines[1:]:
        if not line.startswith("#"):
            if variant_next:
                variants.append(urljoin(url, line))
                variant_next = False
            else:
                segments.append(Segment(sequence, urljoin(url, line), duration or target))
                sequence += 1
                duration = None
            continue
        tag, _, value = line.partition(":")
        if tag == "#EXT-X-STREAM-INF":
            variant_next = True
        elif tag == "#EXT-X-TARGETDURATION":
            target = float(value)
        elif tag == "#EXT-X-MEDIA-SEQUENCE":
            sequence = int(value)
        elif tag == "#EXTINF":
            duration = float(value.split(",", 1)[0])
        elif tag == "#EXT-X-ENDLIST":
            ended = True
        elif tag == "#EXT-X-SERVER-CONTROL":
            can_block = _attributes(value).get("CAN-BLOCK-RELOAD") == "YES"
        elif tag == "#EXT-X-KEY" and _attributes(value).get("METHOD", "NONE") != "NONE":
            unsupported = unsupported or "encrypted segments (EXT-X-KEY)"
        elif tag in LEFT_TO_FFMPEG:
            unsupported = unsupported or LEFT_TO_FFMPEG[tag]
    if variants:
        return MasterPlaylist(variants)
    return MediaPlaylist(target, segments, ended, can_block, unsupported)


def to_read(playlist: MediaPlaylist, after: int | None) -> list[Segment]:
    """The segments to fetch from a playlist, given the last sequence number read (None:
    nothing yet). At the start, the live edge (the last segment), or every segment of an
    ended playlist; then each segment after `after`, once. A sequence that went back more
    than one segment is a restarted stream: its live edge again (a cache's stale copy
    lags by one)."""
    segments = playlist.segments
    if not segments:
        return []
    if after is None:
        return list(segments) if playlist.ended else segments[-1:]
    if segments[-1].sequence < after - 1:
        return segments[-1:]
    return [s for s in segments if s.sequence > after]


def reload_url(url: str, playlist: MediaPlaylist, after: int | None) -> str:
    """The next reload's URL: a blocking request for the segment after `after` when the
    server offers them, else the playlist's own URL."""
    if not playlist.can_block_reload or after is None:
        return url
    return f"{url}{'&' if urlsplit(url).query else '?'}_HLS_msn={after + 1}"


def reload_delay(playlist: MediaPlaylist, since_new: float) -> float:
    """Seconds until the next plain reload, `since_new` seconds after the last reload that
    brought a new segment: the next one is due about a segment's duration after the last
    (noticed within a fast poll interval of its listing), so the reader asks a few times
    around then and seldom otherwise (about four requests a segment)."""
    target = playlist.target_duration
    last = playlist.segments[-1].duration if playlist.segments else target
    if since_new < DUE_EARLY * last:
        return DUE_EARLY * last - since_new
    if since_new < last + target:
        return min(FAST_MAX, max(POLL_MIN, target * FAST_FRACTION))
    return min(SLOW_MAX, max(POLL_MIN, target * SLOW_FRACTION))


def _network(exc: Exception) -> OSError:
    return exc if isinstance(exc, OSError) else OSError(f"{type(exc).__name__}: {exc}"[:300])


def fetch_playlist(fetch: Fetch, url: str) -> MediaPlaylist | MasterPlaylist:
    """One playlist through `fetch`; OSError when it cannot be read or parsed."""
    try:
        body = fetch(url)
        try:
            data = body.read(MAX_PLAYLIST_BYTES + 1)
            while len(data) <= MAX_PLAYLIST_BYTES and (more := body.read(MAX_PLAYLIST_BYTES)):
                data += more
        finally:
            body.close()
    except urllib3.exceptions.HTTPError as exc:
        raise _network(exc) from exc
    if len(data) > MAX_PLAYLIST_BYTES:
        raise OSError(f"the playlist is larger than {MAX_PLAYLIST_BYTES} bytes")
    try:
        return parse_playlist(data.decode("utf-8", errors="replace"), url)
    except ValueError as exc:
        raise OSError(f"{exc} at {url[:200]}") from exc


class HlsFeed:
    """A live media playlist's segments, one after another, as the one MPEG-TS byte stream
    PyAV's demuxer reads: `read` returns what has arrived of the current segment, fetches
    the next one, or waits for the playlist to name one. It returns b"" (the end) when
    `stop` is set or an ended playlist has been read."""

    def __init__(
        self,
        fetch: Fetch,
        url: str,
        playlist: MediaPlaylist,
        stop: threading.Event,
        read_timeout: float,
    ) -> None:
        self._fetch = fetch
        self._url = url
        self._playlist = playlist
        self._stop = stop
        self._timeout = max(read_timeout, 1.5 * playlist.target_duration)
        self._queue: deque[Segment] = deque()
        self._after: int | None = None
        self._body: Body | None = None
        self._last_new = time.monotonic()
        self._next_poll = 0.0
        # The last sequence numbers fetched, in order (bounded: a stream runs for days).
        self.fetched: deque[int] = deque(maxlen=FETCHED_KEPT)
        self._add(playlist)

    def _add(self, playlist: MediaPlaylist) -> None:
        self._playlist = playlist
        new = to_read(playlist, self._after)
        if new:
            self._queue.extend(new)
            self._after = new[-1].sequence
            self._last_new = time.monotonic()

    def read(self, n: int = -1) -> bytes:
        try:
            while not self._stop.is_set():
                if self._body is not None:
                    data = self._body.read(n if n > 0 else 1 << 16)
                    if data:
                        return data
                    self._close_body()
                elif self._queue:
                    self._open(self._queue.popleft())
                elif self._playlist.ended:
                    return b""
                else:
                    self._reload()
        except urllib3.exceptions.HTTPError as exc:
            raise _network(exc) from exc
        return b""

    def _open(self, segment: Segment) -> None:
        try:
            self._body = self._fetch(segment.url)
        except HttpStatusError as exc:
            if exc.status not in (404, 410):
                raise
            return  # gone already (the reader fell behind the playlist): a gap
        self.fetched.append(segment.sequence)

    def _reload(self) -> None:
        wait = self._next_poll - time.monotonic()
        if wait > 0 and self._stop.wait(wait):
            return
        if time.monotonic() - self._last_new > self._timeout:
            raise TimeoutError(f"no new segment for {self._timeout:g} s")
        before = self._after
        playlist = fetch_playlist(self._fetch, reload_url(self._url, self._playlist, before))
        if not isinstance(playlist, MediaPlaylist):
            raise OSError("the media playlist became a master playlist")
        self._add(playlist)
        # A blocking reload that brought the next segment is followed by the next one at
        # once (the server holds it); any other waits a poll interval.
        answered = playlist.can_block_reload and self._after != before
        since_new = time.monotonic() - self._last_new
        self._next_poll = time.monotonic() + (
            0.0 if answered else reload_delay(playlist, since_new)
        )

    def _close_body(self) -> None:
        if self._body is not None:
            body, self._body = self._body, None
            body.close()

    def close(self) -> None:
        self._close_body()


def handles(url: str) -> bool:
    """Whether `url` is one this reader may take (an http(s) .m3u8 URL)."""
    parts = urlsplit(url)
    return parts.scheme.lower() in ("http", "https") and parts.path.endswith(".m3u8")


def open_feed(fetch: Fetch, url: str, stop: threading.Event, read_timeout: float) -> HlsFeed | None:
    """The feed of a live HLS URL (a master playlist's first variant), or None when
    FFmpeg's demuxer must read it (encrypted, fMP4 or byte-range segments)."""
    playlist = fetch_playlist(fetch, url)
    if isinstance(playlist, MasterPlaylist):
        url = playlist.variants[0]
        playlist = fetch_playlist(fetch, url)
        if isinstance(playlist, MasterPlaylist):
            raise OSError("a variant of the master playlist is a master playlist")
    if playlist.unsupported is not None:
        return None
    return HlsFeed(fetch, url, playlist, stop, read_timeout)
