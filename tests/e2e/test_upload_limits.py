"""Upload caps on the real server, at the HTTP level: a declared Content-Length over the cap
is refused before any body is read, and a chunked body (no length declared) is refused as
soon as it passes the cap; neither leaves anything in storage."""

from __future__ import annotations

import contextlib
import json
import socket
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.server import Server, server_env, streambet

pytestmark = pytest.mark.slow
BOUNDARY = "limitsboundary"
PART_HEAD = (
    f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="big.mp4"\r\n'
    "Content-Type: video/mp4\r\n\r\n"
).encode()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Server, Path]]:
    root = tmp_path_factory.mktemp("limits")
    env = server_env(root / "var", analysis_backend="fake", max_upload_mb="5")
    streambet("db", "upgrade", env=env)
    running = Server(env, root / "server.log")
    yield running, root / "var" / "storage"
    running.stop()


def _read_response(sock: socket.socket) -> tuple[int, dict[str, Any]]:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            break
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = next(
        int(line.split(b":")[1])
        for line in head.split(b"\r\n")
        if line.lower().startswith(b"content-length:")
    )
    while len(body) < length:
        chunk = sock.recv(65536)
        if not chunk:
            break
        body += chunk
    return int(head.split(b" ")[1]), json.loads(body[:length])


def _request_head(port: int, extra: str) -> bytes:
    return (
        "POST /api/analyze HTTP/1.1\r\n"
        f"Host: 127.0.0.1:{port}\r\n"
        f"Content-Type: multipart/form-data; boundary={BOUNDARY}\r\n"
        f"{extra}\r\n"
    ).encode()


def test_declared_length_over_the_cap_is_refused_unread(server: tuple[Server, Path]) -> None:
    running, storage = server
    with socket.create_connection(("127.0.0.1", running.port), timeout=30) as sock:
        sock.sendall(_request_head(running.port, f"Content-Length: {1 << 30}\r\n") + PART_HEAD)
        status, body = _read_response(sock)  # answered with 1 GB still unsent
    assert status == 413
    assert body["error"]["code"] == "payload_too_large"
    assert [p for p in storage.rglob("*") if p.is_file()] == []


def test_chunked_body_over_the_cap_is_refused_while_streaming(
    server: tuple[Server, Path],
) -> None:
    running, storage = server
    sent = 0
    answered = threading.Event()
    with socket.create_connection(("127.0.0.1", running.port), timeout=30) as sock:
        sock.sendall(_request_head(running.port, "Transfer-Encoding: chunked\r\n"))

        def send() -> None:
            nonlocal sent
            try:
                for piece in [PART_HEAD] + [b"\0" * (1 << 20)] * 200:
                    if answered.is_set():
                        return
                    sock.sendall(f"{len(piece):x}\r\n".encode() + piece + b"\r\n")
                    sent += len(piece)
            except OSError:
                pass  # the server hung up after refusing

        sender = threading.Thread(target=send)
        sender.start()
        status, body = _read_response(sock)
        answered.set()
        # unblocks the sender; the server may have reset the connection already
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)
        sender.join()
    assert status == 413
    assert body["error"]["code"] == "payload_too_large"
    assert sent < 50 * (1 << 20)  # refused near the 5 MB cap, not after the whole 200 MB
    assert [p for p in storage.rglob("*") if p.is_file()] == []
