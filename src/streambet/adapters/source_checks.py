"""What checking a stream's source URL needs from the machine: the addresses a host
resolves to (every one of them, IPv4 and IPv6) and a file's real path."""

from __future__ import annotations

import os
import socket


def resolve_host(host: str) -> list[str]:
    """The host's addresses; empty when it does not resolve."""
    try:
        infos = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
    except (socket.gaierror, UnicodeError, OSError):
        return []
    return sorted({str(info[4][0]) for info in infos})


def real_path(path: str) -> str:
    return os.path.realpath(path)
