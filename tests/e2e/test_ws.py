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
    """The next message that is not a probe (probes only prove the socket is listening)."""
    while True:
        message = dict(json.loads(ws.recv()))
        if "probe" not in message["payload"]:
            return message


def _sync(app: Any, ws: websocket.WebSocket, marker: str) -> None:
    """Publishes a probe until this socket relays it. The server subscribes when the socket
    opens and reads the page's messages before each event it sends, so afterwards every
    message sent earlier (such as auth) has been handled."""
    bus = app.extensions["streambet"].events
    ws.settimeout(0.3)
    for _ in range(50):
        bus.publish("market.status", {"probe": marker})
        try:
            while json.loads(ws.recv())["payload"].get("probe") != marker:
                pass
            return
        except websocket.WebSocketTimeoutException:
            continue
    raise AssertionError("the socket relays nothing")


def test_market_events_reach_an_anonymous_page(served: tuple[Any, str]) -> None:
    app, url = served
    ws = websocket.create_connection(url, timeout=5)
    try:
        _sync(app, ws, "hello")
        app.extensions["streambet"].events.publish("market.odds", {"market_id": 7, "pool": 300})
        ws.settimeout(5)
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

    sockets = {name: websocket.create_connection(url, timeout=5) for name in tokens}
    try:
        for name, ws in sockets.items():
            if tokens[name]:
                ws.send(json.dumps({"type": "auth", "token": tokens[name]}))
            _sync(app, ws, name)
        bus.publish("analysis.progress", progress)
        bus.publish("market.status", {"market_id": 1, "status": "locked"})
        for name, ws in sockets.items():
            ws.settimeout(5)
            got = _next_message(ws)
            if name in ("owner", "admin"):
                assert got == {"topic": "analysis.progress", "payload": progress}, name
                got = _next_message(ws)
            assert got["topic"] == "market.status", name

        # A made-up token makes the owner's socket anonymous again.
        sockets["owner"].send(json.dumps({"type": "auth", "token": "not-a-token"}))
        _sync(app, sockets["owner"], "again")
        bus.publish("analysis.progress", progress)
        bus.publish("market.status", {"market_id": 3})
        sockets["owner"].settimeout(5)
        assert _next_message(sockets["owner"]) == {
            "topic": "market.status",
            "payload": {"market_id": 3},
        }
    finally:
        for ws in sockets.values():
            ws.close()
