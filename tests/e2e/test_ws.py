"""/api/ws over a real socket: market events reach every page, analysis progress only a page
that authenticated as an operator or admin."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import websocket
from werkzeug.serving import make_server

from streambet import create_app
from tests.support import databases
from tests.support.api import make_actor


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[Any, str]]:
    config = {
        "env": "test",
        "data_dir": str(tmp_path / "var"),
        "queue_backend": "memory",
        "embedded_worker": False,
        "analysis_backend": "fake",
    }
    with databases.sqlite_database(tmp_path) as url:
        app = create_app({**config, "database_url": url})
        server = make_server("127.0.0.1", 0, app, threaded=True)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            yield app, f"ws://127.0.0.1:{server.server_port}/api/ws"
        finally:
            server.shutdown()
            thread.join(timeout=10)
            app.extensions["streambet"].close()


def _next_message(ws: websocket.WebSocket) -> dict[str, Any]:
    """The next relayed event (the hello and auth acknowledgements are protocol)."""
    while True:
        message = dict(json.loads(ws.recv()))
        if message["topic"] not in ("hello", "auth"):
            return message


def _connect(url: str, token: str | None = None) -> websocket.WebSocket:
    """A socket the server has subscribed (hello) and, with a token, authenticated."""
    ws = websocket.create_connection(url, timeout=5)
    assert json.loads(ws.recv()) == {"topic": "hello", "payload": {}}
    if token is not None:
        _authenticate(ws, token)
    return ws


def _authenticate(ws: websocket.WebSocket, token: str) -> dict[str, Any]:
    ws.send(json.dumps({"type": "auth", "token": token}))
    while True:
        message = json.loads(ws.recv())
        if message["topic"] == "auth":
            return dict(message["payload"])


def test_market_events_reach_an_anonymous_page(served: tuple[Any, str]) -> None:
    app, url = served
    ws = _connect(url)
    try:
        app.extensions["streambet"].events.publish("market.odds", {"market_id": 7, "pool": 300})
        assert _next_message(ws) == {
            "topic": "market.odds",
            "payload": {"market_id": 7, "pool": 300},
        }
    finally:
        ws.close()


def test_analysis_progress_goes_to_its_owner_and_admins(served: tuple[Any, str]) -> None:
    app, url = served
    owner = make_actor(app, "operator")
    other = make_actor(app, "operator")
    admin = make_actor(app, "admin")
    bus = app.extensions["streambet"].events
    progress = {"id": "a1", "user_id": owner.user_id, "status": "running", "progress": 40}
    tokens = {"owner": owner.token, "other": other.token, "admin": admin.token, "anon": None}

    sockets = {name: _connect(url, token) for name, token in tokens.items()}
    try:
        bus.publish("analysis.progress", progress)
        bus.publish("market.status", {"market_id": 1, "status": "locked"})
        for name, ws in sockets.items():
            got = _next_message(ws)
            if name in ("owner", "admin"):
                assert got == {"topic": "analysis.progress", "payload": progress}, name
                got = _next_message(ws)
            assert got["topic"] == "market.status", name

        # A made-up token makes the owner's socket anonymous again.
        assert _authenticate(sockets["owner"], "not-a-token") == {}
        bus.publish("analysis.progress", progress)
        bus.publish("market.status", {"market_id": 3})
        assert _next_message(sockets["owner"]) == {
            "topic": "market.status",
            "payload": {"market_id": 3},
        }
    finally:
        for ws in sockets.values():
            ws.close()
