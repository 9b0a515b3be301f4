"""Open pages do not crowd out the API: under `streambet serve` (gunicorn threads), each
WebSocket holds a thread while the page is open, so the default thread count must leave
room for many pages and for ordinary requests beside them."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
import requests
import websocket

from tests.support.server import Server, server_env, streambet

pytestmark = pytest.mark.slow
PAGES = 40  # five times the thread count this server used to have
PASSWORD = "correct horse battery"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    root = tmp_path_factory.mktemp("ws-capacity")
    env = server_env(root / "var", analysis_backend="fake", embedded_worker="false")
    streambet("db", "upgrade", env=env)
    streambet(
        "users", "create", "op@example.test", "--role", "operator", "--password", PASSWORD, env=env
    )
    running = Server(env, root / "server.log")
    yield running
    running.stop()


def _event(ws: websocket.WebSocket) -> dict[str, Any]:
    while True:
        message = dict(json.loads(ws.recv()))
        if message["topic"] not in ("hello", "auth"):
            return message


def test_many_open_pages_and_the_api_still_answers(server: Server) -> None:
    url = server.url.replace("http://", "ws://") + "/api/ws"
    pages = []
    try:
        for _ in range(PAGES):
            ws = websocket.create_connection(url, timeout=10)
            assert json.loads(ws.recv())["topic"] == "hello"
            pages.append(ws)
        assert requests.get(server.url + "/api/health", timeout=10).status_code == 200
        login = requests.post(
            server.url + "/api/auth/login",
            json={"email": "op@example.test", "password": PASSWORD},
            timeout=10,
        )
        token = login.json()["token"]
        created = requests.post(
            server.url + "/api/markets",
            json={"question": "Open pages?", "criteria": {"label": "Cat"}},
            headers={"Authorization": f"Bearer {token}"},
            timeout=10,
        )
        assert created.status_code == 201, created.text
        market_id = created.json()["id"]
        for ws in pages:  # every open page hears of the new market
            event = _event(ws)
            assert event["topic"] == "market.status"
            assert event["payload"]["market_id"] == market_id
    finally:
        for ws in pages:
            ws.close()
