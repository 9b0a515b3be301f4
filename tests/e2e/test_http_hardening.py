"""What gunicorn itself answers (`streambet serve`): no `Server: gunicorn`, and what it
refuses before the app sees it, in the JSON envelope (issue 12, items 13 and 14)."""

from __future__ import annotations

import socket
from pathlib import Path

import requests

from tests.support.server import Server, server_env, streambet


def _raw(server: Server, request: bytes) -> tuple[str, dict[str, str], bytes]:
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
        sock.sendall(request)
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    status, *lines = head.decode("latin-1").split("\r\n")
    headers = {k.lower(): v.strip() for k, _, v in (line.partition(":") for line in lines)}
    return status, headers, body


def test_gunicorn_answers_in_the_envelope_and_does_not_name_itself(tmp_path: Path) -> None:
    env = server_env(tmp_path / "var", analysis_backend="fake")
    streambet("db", "upgrade", env=env)
    server = Server(env, tmp_path / "server.log")
    try:
        health = requests.get(server.url + "/api/health", timeout=10)
        assert "gunicorn" not in health.headers.get("Server", "").lower()
        assert health.headers["X-Content-Type-Options"] == "nosniff"
        # 4-8 KB: past the app's limit, inside gunicorn's
        long_path = requests.get(server.url + "/api/markets/" + "1" * 5000, timeout=10)
        assert long_path.status_code == 414
        assert long_path.json()["error"]["code"] == "uri_too_long"
        # past gunicorn's own limit: its refusal, in the envelope too
        status, headers, body = _raw(
            server, b"GET /" + b"a" * 10_000 + b" HTTP/1.1\r\nHost: x\r\n\r\n"
        )
        assert status.startswith("HTTP/1.1 414"), status
        assert headers["content-type"] == "application/json"
        assert "gunicorn" not in headers.get("server", "").lower()
        assert b'"error"' in body and b"<html" not in body
        status, headers, body = _raw(server, b"NOT A REQUEST\r\n\r\n")
        assert status.startswith("HTTP/1.1 400"), status
        assert headers["content-type"] == "application/json" and b'"error"' in body
    finally:
        server.stop()
