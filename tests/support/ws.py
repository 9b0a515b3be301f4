"""WebSocket test clients for /api/ws: websocket-client pages, optionally from another
loopback address (127.0.0.0/8 is all local, so per-address caps can be tested and kept),
and a raw socket that does the handshake and then misbehaves."""

from __future__ import annotations

import base64
import json
import os
import socket
from typing import Any
from urllib.parse import urlsplit

import requests
import websocket

UPGRADE_HEADERS = {
    "Upgrade": "websocket",
    "Connection": "Upgrade",
    "Sec-WebSocket-Version": "13",
    "Sec-WebSocket-Key": base64.b64encode(b"0123456789abcdef").decode(),
}


def ws_url(http_url: str) -> str:
    return http_url.replace("http://", "ws://", 1) + "/api/ws"


def _tcp(url: str, source: str | None, timeout: float) -> socket.socket:
    parts = urlsplit(url)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.settimeout(timeout)
    if source is not None:
        sock.bind((source, 0))
    sock.connect((parts.hostname or "127.0.0.1", parts.port or 80))
    return sock


def open_page(
    url: str,
    *,
    source: str | None = None,
    token: str | None = None,
    header_token: str | None = None,
    timeout: float = 10,
) -> websocket.WebSocket:
    """A socket the server has greeted (hello) and, with `token`, authenticated by message;
    `header_token` authenticates the upgrade itself."""
    headers = [f"Authorization: Bearer {header_token}"] if header_token else None
    sock = _tcp(url, source, timeout)
    try:
        ws = websocket.create_connection(url, timeout=timeout, socket=sock, header=headers)
    except BaseException:
        sock.close()  # websocket-client leaves a socket it was given open on a refusal
        raise
    hello = json.loads(ws.recv())
    assert hello == {"topic": "hello", "payload": {}}, hello
    if token is not None:
        authenticate(ws, token)
    return ws


def authenticate(ws: websocket.WebSocket, token: str) -> dict[str, Any]:
    ws.send(json.dumps({"type": "auth", "token": token}))
    while True:
        message = json.loads(ws.recv())
        if message["topic"] == "auth":
            return dict(message["payload"])


def next_event(ws: websocket.WebSocket) -> dict[str, Any]:
    """The next relayed event (hello and auth acknowledgements are protocol)."""
    while True:
        message = dict(json.loads(ws.recv()))
        if message["topic"] not in ("hello", "auth"):
            return message


def refused(http_url: str, *, source: str | None = None, token: str | None = None) -> Any:
    """An upgrade attempt through plain HTTP: returns the response of a refused one."""
    headers = dict(UPGRADE_HEADERS)
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    session = requests.Session()
    if source is not None:
        adapter = requests.adapters.HTTPAdapter()
        adapter.init_poolmanager(1, 1, source_address=(source, 0))
        session.mount("http://", adapter)
    with session:
        return session.get(http_url + "/api/ws", headers=headers, timeout=10, stream=False)


class RawPage:
    """Does the handshake by hand, then reads only when told to: it never answers a ping
    and lets the server's frames pile up unread."""

    def __init__(self, url: str, *, receive_buffer: int | None = None) -> None:
        parts = urlsplit(url)
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        if receive_buffer is not None:  # before connect, so the window starts small
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, receive_buffer)
        self.sock.settimeout(10)
        self.sock.connect((parts.hostname or "127.0.0.1", parts.port or 80))
        key = base64.b64encode(os.urandom(16)).decode()
        self.sock.sendall(
            (
                f"GET /api/ws HTTP/1.1\r\nHost: {parts.netloc}\r\nUpgrade: websocket\r\n"
                f"Connection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"
                f"Sec-WebSocket-Key: {key}\r\n\r\n"
            ).encode()
        )
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = self.sock.recv(1)
            assert chunk, head
            head += chunk
        assert head.startswith(b"HTTP/1.1 101 "), head

    def read_until_closed(self, timeout: float = 60) -> bytes:
        """Everything the server sends until it closes the connection (EOF or reset)."""
        self.sock.settimeout(timeout)
        data = b""
        try:
            while chunk := self.sock.recv(65536):
                data += chunk
        except ConnectionResetError:
            pass
        return data

    def close(self) -> None:
        self.sock.close()
