"""The WebSocket caps under `streambet serve`: over a cap the upgrade is refused before it
happens, in the error envelope with Retry-After (503 when the worker is full, 429 for one
address or for the anonymous pool); a page that authenticates leaves the anonymous pool; a
closed page gives its place back; a stopping server says goodbye (1012, reconnect)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
import websocket

from tests.support.server import Server, server_env, streambet
from tests.support.ws import UPGRADE_HEADERS, authenticate, open_page, refused, ws_url

pytestmark = pytest.mark.slow
PASSWORD = "correct horse battery"
A, B, C = "127.0.0.2", "127.0.0.3", "127.0.0.4"


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    env = server_env(
        tmp_path / "var",
        analysis_backend="fake",
        embedded_worker="false",
        ws_max_sockets="6",
        ws_max_per_address="4",
        ws_max_anonymous="3",
    )
    streambet("db", "upgrade", env=env)
    streambet("users", "create", "u@example.test", "--password", PASSWORD, env=env)
    running = Server(env, tmp_path / "server.log")
    yield running
    if running.proc.poll() is None:
        running.stop()


def _token(server: Server) -> str:
    login = requests.post(
        server.url + "/api/auth/login",
        json={"email": "u@example.test", "password": PASSWORD},
        timeout=30,
    )
    login.raise_for_status()
    token: str = login.json()["token"]
    return token


def _assert_refused(response: Any, status: int, code: str, limit: int) -> None:
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert (error["code"], error["details"]) == (code, {"limit": limit}), error
    assert error["message"]
    assert int(response.headers["Retry-After"]) > 0


def _admitted_after_close(server: Server, source: str) -> websocket.WebSocket:
    """The server frees a closed page's place once it has seen the close; until then an
    upgrade may still be refused, so this tries for a bounded while."""
    deadline = time.monotonic() + 30
    while True:
        try:
            return open_page(ws_url(server.url), source=source)
        except websocket.WebSocketBadStatusException:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def test_caps_refuse_before_the_upgrade(server: Server) -> None:
    url = ws_url(server.url)
    token = _token(server)
    pages = [open_page(url, source=A) for _ in range(3)]
    try:
        _assert_refused(refused(server.url, source=B), 429, "too_many_anonymous_websockets", 3)
        # a client that authenticates the upgrade is not anonymous
        pages.append(open_page(url, source=A, header_token=token))
        _assert_refused(
            refused(server.url, source=A, token=token), 429, "too_many_websockets_from_address", 4
        )
        # a page that logs in by message leaves the anonymous pool, making room
        assert authenticate(pages[0], token)["role"] == "bettor"
        pages.append(open_page(url, source=B))
        pages.append(open_page(url, source=B, header_token=token))
        _assert_refused(refused(server.url, source=C, token=token), 503, "too_many_websockets", 6)
        # a closed page gives its place back (here an anonymous one, from B)
        pages.pop(4).close()
        pages.append(_admitted_after_close(server, C))
    finally:
        for ws in pages:
            ws.close()


def test_upgrades_that_are_not_refused_for_capacity(server: Server) -> None:
    bad_token = refused(server.url, token="not-a-token")
    assert bad_token.status_code == 401
    assert bad_token.json()["error"]["code"] == "unauthenticated"
    plain = requests.get(server.url + "/api/ws", timeout=30)
    assert plain.status_code == 400
    assert set(plain.json()["error"]) == {"code", "message", "details"}
    wrong_version = requests.get(
        server.url + "/api/ws",
        headers={**UPGRADE_HEADERS, "Sec-WebSocket-Version": "8"},
        timeout=30,
    )
    assert wrong_version.status_code == 400
    assert wrong_version.json()["error"]["code"] == "websocket_upgrade_expected"


def test_a_stopping_server_says_goodbye(server: Server) -> None:
    ws = open_page(ws_url(server.url), source=A)
    try:
        assert server.stop() == 0
        opcode, frame = ws.recv_data_frame(control_frame=True)
        assert opcode == websocket.ABNF.OPCODE_CLOSE
        # 1012 "service restart" with a reason: reconnect now (another node will answer)
        assert int.from_bytes(frame.data[:2], "big") == 1012
        assert frame.data[2:].decode() == "node stopping: reconnect"
    finally:
        ws.shutdown()  # close() does nothing once the server's close frame has been read
