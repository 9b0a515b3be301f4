"""Where a live source may connect, checked at every connection, not only when the stream
was made: a name that resolved to a public address then may resolve to this machine or
the cloud's metadata service later (DNS rebinding), and an HLS playlist names further
hosts (variant playlists, segments, keys) that FFmpeg would fetch itself.

A `Guard` gets `vet_host(host) -> addresses`, which resolves the host and raises
SourceRefused unless every address is allowed (the app's URL policy). Then:
- http(s) sources (HLS, MPEG-TS) are read with every request made by `fetch`: the HLS
  reader (hls.py) asks for each playlist, reload and segment, and FFmpeg (through
  `io_open`) for what it reads itself; each is vetted and fetched here over a connection
  to the address just vetted (the name is still sent as Host and TLS server name, and
  certificates are verified), redirects included. So nothing read from the network
  escapes the check, and no second lookup can answer differently. Without a URL policy the
  same fetching runs with `any_host`, which allows every address;
- rtmp, rtsp and srt URLs get the vetted address in place of the name, so FFmpeg does not
  resolve it again (rtmps and rtsps keep the name for TLS: FFmpeg resolves it once more
  right after the check).
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urljoin, urlsplit, urlunsplit

import urllib3

from streambet.vision.live.errors import SourceRefused

VetHost = Callable[[str], list[str]]  # host -> its addresses, every one allowed
MAX_REDIRECTS = 5
USER_AGENT = "StreamBet live reader"
# Schemes whose connection can carry the vetted address instead of the name.
PINNED_SCHEMES = frozenset({"rtmp", "rtsp", "srt"})


class HttpStatusError(OSError):
    """The server answered with an error status."""

    def __init__(self, status: int, url: str) -> None:
        super().__init__(f"HTTP {status} for {url[:200]}")
        self.status = status


def any_host(host: str) -> list[str]:
    """A `VetHost` that allows every address (no URL policy: development, tests): the
    reader's requests still go through one `Guard`. OSError when the name does not
    resolve (a connection failure, retried, not a refusal)."""
    infos = socket.getaddrinfo(host, None, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def _host_for_url(address: str) -> str:
    return f"[{address}]" if ipaddress.ip_address(address).version == 6 else address


@dataclass
class Guard:
    vet_host: VetHost
    open_timeout: float = 10.0
    read_timeout: float = 10.0
    refused: str | None = field(default=None, init=False)  # the last refusal, for the reader

    def vet(self, url: str) -> tuple[str, int, str]:
        """(host, port, first vetted address) of a network URL; SourceRefused otherwise."""
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
        if not host:
            raise SourceRefused("the source URL names no host")
        try:
            addresses = self.vet_host(host)
        except SourceRefused as exc:
            self.refused = str(exc)
            raise
        if not addresses:
            raise self._refuse(f"the source host {host!r} does not resolve")
        default = {"https": 443, "rtmp": 1935, "rtsp": 554}.get(parts.scheme.lower(), 80)
        return host, parts.port or default, addresses[0]

    def _refuse(self, why: str) -> SourceRefused:
        self.refused = why
        return SourceRefused(why)

    def pinned(self, url: str) -> str:
        """rtmp/rtsp/srt: the URL with the vetted address for its host (others unchanged,
        but vetted)."""
        scheme = url.split(":", 1)[0].lower()
        _host, _port, address = self.vet(url)
        if scheme not in PINNED_SCHEMES:
            return url
        parts = urlsplit(url)
        userinfo = parts.netloc.rpartition("@")[0]
        port = f":{parts.port}" if parts.port else ""
        netloc = (userinfo + "@" if userinfo else "") + _host_for_url(address) + port
        return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))

    def io_open(self, url: str, flags: int, options: dict[str, str]) -> Any:
        """PyAV's io_open: every URL FFmpeg opens for an http(s) source. Only http(s) to
        vetted hosts; the response is read as a file."""
        if flags & 2:  # AVIO_FLAG_WRITE
            raise self._refuse("a live source is only read")
        return self.fetch(url)

    def fetch(self, url: str) -> _Body:
        for _ in range(MAX_REDIRECTS + 1):
            parts = urlsplit(url)
            scheme = parts.scheme.lower()
            if scheme not in ("http", "https"):
                kind = scheme or "relative"
                raise self._refuse(f"the playlist names a {kind}: URL ({url[:200]})")
            host, port, address = self.vet(url)
            timeout = urllib3.Timeout(connect=self.open_timeout, read=self.read_timeout)
            pool: urllib3.HTTPConnectionPool
            if scheme == "https":
                pool = urllib3.HTTPSConnectionPool(
                    address,
                    port,
                    server_hostname=host,
                    assert_hostname=host,
                    timeout=timeout,
                    retries=False,
                )
            else:
                pool = urllib3.HTTPConnectionPool(address, port, timeout=timeout, retries=False)
            path = urlunsplit(("", "", parts.path or "/", parts.query, ""))
            default_port = 443 if scheme == "https" else 80
            host_header = host if port == default_port else f"{host}:{port}"
            if ":" in host and not host.startswith("["):
                host_header = f"[{host}]" if port == default_port else f"[{host}]:{port}"
            response = pool.urlopen(
                "GET",
                path,
                headers={"Host": host_header, "User-Agent": USER_AGENT},
                redirect=False,
                preload_content=False,
            )
            if response.status in (301, 302, 303, 307, 308) and response.headers.get("Location"):
                url = urljoin(url, response.headers["Location"])
                response.release_conn()
                continue
            if response.status >= 400:
                response.release_conn()
                raise HttpStatusError(response.status, url)
            return _Body(response)
        raise OSError("too many redirects")


class _Body:
    """A response as the file PyAV reads: a read returns what has arrived (up to `n`), not
    a full buffer's worth, so a slow MPEG-TS stream is not handed over in bursts."""

    def __init__(self, response: urllib3.BaseHTTPResponse) -> None:
        self._response = response

    def read(self, n: int = -1) -> bytes:
        return self._response.read1(n) if n > 0 else self._response.read()

    def close(self) -> None:
        self._response.release_conn()
        self._response.close()
