"""Takes an upgraded connection away from the WSGI server, so no request thread keeps it.

The upgrade view answers the handshake itself (RFC 6455 section 4.2.2) on the raw socket
the server puts in the environ (`gunicorn.socket`, `werkzeug.socket`), then hands the
connection to the hub and tells the server the request is over. Both servers then end the
connection their own way: gunicorn's gthread worker closes it gracefully (shutdown(SHUT_WR),
then drains reads), werkzeug reads the next request line and closes. A shutdown acts on the
TCP stream, not on one descriptor, so giving the hub a dup() of the descriptor would not
survive it. Instead the hub gets the dup and the server's descriptor number is pointed, with
dup2(), at one end of a socket pair whose other end is closed: the server's shutdown, read
(EOF at once) and close act on that dead pair, and the TCP stream is left to the hub.

The signal "the request is over" is a BrokenPipeError raised from the response: gunicorn
logs EPIPE at debug level, counts the connection as finished and closes (the dead pair);
werkzeug takes it for a dropped client. Neither writes a byte after the 101.
"""

from __future__ import annotations

import base64
import binascii
import errno
import hashlib
import os
import socket
import weakref
from collections.abc import Callable, Iterable
from typing import Any

from flask import Response  # a werkzeug Response would be recast as Flask's, losing __call__

WEBSOCKET_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
SERVER_SOCKET_KEYS = ("gunicorn.socket", "werkzeug.socket")
# Headers a 101 must not carry (it has no body); everything else the app added, such as
# X-Request-ID, goes out with it.
_BODY_HEADERS = frozenset({"content-type", "content-length", "transfer-encoding"})


class BadHandshake(ValueError):
    """The request is not a WebSocket upgrade this server can answer."""


def _tokens(value: str) -> set[str]:
    return {t.strip().lower() for t in value.split(",") if t.strip()}


def accept_key(environ: dict[str, Any]) -> str:
    """The Sec-WebSocket-Accept value for a valid version 13 upgrade request."""
    if environ.get("REQUEST_METHOD") != "GET":
        raise BadHandshake("A WebSocket upgrade is a GET request.")
    if "websocket" not in _tokens(environ.get("HTTP_UPGRADE", "")):
        raise BadHandshake("This endpoint speaks WebSocket only: send 'Upgrade: websocket'.")
    if "upgrade" not in _tokens(environ.get("HTTP_CONNECTION", "")):
        raise BadHandshake("A WebSocket upgrade needs 'Connection: Upgrade'.")
    if environ.get("HTTP_SEC_WEBSOCKET_VERSION", "").strip() != "13":
        raise BadHandshake("Only WebSocket version 13 is supported.")
    key = environ.get("HTTP_SEC_WEBSOCKET_KEY", "").strip()
    try:
        valid = len(base64.b64decode(key, validate=True)) == 16
    except (binascii.Error, ValueError):
        valid = False
    if not valid:
        raise BadHandshake("Sec-WebSocket-Key must be 16 bytes in base64.")
    digest = hashlib.sha1((key + WEBSOCKET_GUID).encode("ascii")).digest()
    return base64.b64encode(digest).decode("ascii")


def server_socket(environ: dict[str, Any]) -> socket.socket | None:
    """The connection's socket, if the server exposes it as a plain (non-TLS) socket."""
    for key in SERVER_SOCKET_KEYS:
        sock = environ.get(key)
        if type(sock) is socket.socket:  # an ssl.SSLSocket cannot be handed on like this
            return sock
    return None


def take_socket(sock: socket.socket) -> socket.socket:
    """A new socket that owns `sock`'s connection; `sock` is left on a dead socket pair."""
    owned = socket.socket(fileno=os.dup(sock.fileno()))
    dead, peer = socket.socketpair()
    peer.close()
    try:
        os.dup2(dead.fileno(), sock.fileno())
    finally:
        dead.close()
    return owned


class HandOff(Response):
    """The 101 answer. The server calls it like any WSGI response: it writes the
    handshake on the raw socket, passes the connection to `adopt` and ends the request."""

    def __init__(
        self,
        accept: str,
        adopt: Callable[[socket.socket], None],
        abandon: Callable[[], None],
    ) -> None:
        super().__init__(status=101)
        self.headers["Upgrade"] = "websocket"
        self.headers["Connection"] = "Upgrade"
        self.headers["Sec-WebSocket-Accept"] = accept
        self._adopt = adopt
        # Whatever keeps this response from being called (an after_request hook that
        # replaced it, an exception) must still give the socket's admission back.
        self._abandon = weakref.finalize(self, abandon)

    def __call__(
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        sock = server_socket(environ)
        if sock is None:
            raise RuntimeError("the upgrade view hands off only where it found a socket")
        lines = ["HTTP/1.1 101 Switching Protocols"]
        lines += [f"{k}: {v}" for k, v in self.headers.items() if k.lower() not in _BODY_HEADERS]
        try:
            sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1"))
            owned = take_socket(sock)
        except BaseException:
            self._abandon()
            raise
        self._abandon.detach()
        self._adopt(owned)
        raise BrokenPipeError(errno.EPIPE, "the connection was handed to the WebSocket hub")
