"""/api/ws over a real socket: market events reach every page, analysis progress only a page
that authenticated as an operator or admin."""

from __future__ import annotations

import contextlib
import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import websocket
from werkzeug.serving import make_server

from streambet import create_app
from tests.support import databases
from tests.support.api import make_actor
from tests.support.ws import RawPage


@contextmanager
def _serving(tmp_path: Path, **settings: Any) -> Iterator[tuple[Any, str]]:
    config = {
        "env": "test",
        "data_dir": str(tmp_path / "var"),
        "queue_backend": "memory",
        "embedded_worker": False,
        "analysis_backend": "fake",
        **settings,
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
            server.server_close()


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[Any, str]]:
    with _serving(tmp_path) as served:
        yield served


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


@pytest.mark.parametrize("topic", ["stream.status", "stream.labels", "stream.frame"])
def test_a_streams_news_goes_to_its_operator_and_admins(
    served: tuple[Any, str], topic: str
) -> None:
    app, url = served
    owner = make_actor(app, "operator")
    other = make_actor(app, "operator")
    bettor = make_actor(app, "bettor")
    admin = make_actor(app, "admin")
    bus = app.extensions["streambet"].events
    news = {"stream_id": 4, "user_id": owner.user_id, "events": []}
    tokens = {
        "owner": owner.token,
        "other": other.token,
        "bettor": bettor.token,
        "admin": admin.token,
        "anon": None,
    }
    sockets = {name: _connect(url, token) for name, token in tokens.items()}
    try:
        bus.publish(topic, news)
        bus.publish("market.status", {"market_id": 1, "status": "locked"})
        for name, ws in sockets.items():
            got = _next_message(ws)
            if name in ("owner", "admin"):
                assert got == {"topic": topic, "payload": news}, name
                got = _next_message(ws)
            assert got["topic"] == "market.status", name
    finally:
        for ws in sockets.values():
            ws.close()


def _hub(app: Any) -> Any:
    from streambet.api.ws import hub_of

    return hub_of(app)


def _wait_for(condition: Any, seconds: float = 30) -> None:
    """Polls `condition` for a bounded while (what it waits for happens on the hub's
    threads); fails if it never holds."""
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "the hub never got there"
        time.sleep(0.02)


def test_messages_outside_the_protocol_are_ignored(served: tuple[Any, str]) -> None:
    app, url = served
    owner = make_actor(app, "operator")
    ws = _connect(url)
    try:
        ws.send_binary(b"\x00" * 100)
        ws.send("x" * 5000)  # over the 4096-character limit: discarded unread
        ws.send("not json")
        ws.send(json.dumps({"type": "subscribe"}))
        assert _authenticate(ws, owner.token) == {"user_id": owner.user_id, "role": "operator"}
        app.extensions["streambet"].events.publish("market.status", {"market_id": 2})
        assert _next_message(ws) == {"topic": "market.status", "payload": {"market_id": 2}}
    finally:
        ws.close()


def test_odds_snapshots_of_a_market_may_be_merged_but_the_latest_arrives(
    served: tuple[Any, str],
) -> None:
    app, url = served
    ws = _connect(url)
    bus = app.extensions["streambet"].events
    try:
        for pool in range(1, 201):
            bus.publish("market.odds", {"market_id": 1, "pool": pool})
            bus.publish("market.odds", {"market_id": 2, "pool": pool})
        bus.publish("market.status", {"market_id": 1, "status": "locked"})
        seen: dict[int, list[int]] = {1: [], 2: []}
        while (event := _next_message(ws))["topic"] == "market.odds":
            seen[event["payload"]["market_id"]].append(event["payload"]["pool"])
        assert event == {"topic": "market.status", "payload": {"market_id": 1, "status": "locked"}}
        for pools in seen.values():  # in order, none invented, the last one always
            assert pools == sorted(set(pools))
            assert pools[-1] == 200
    finally:
        ws.close()


def test_a_page_that_stops_answering_pings_is_dropped(tmp_path: Path) -> None:
    with _serving(tmp_path, ws_ping_seconds=0.2) as (app, url):
        silent = RawPage(url)
        alive = _connect(url)  # websocket-client answers pings while it reads
        try:
            heard = threading.Thread(target=silent.read_until_closed, daemon=True)
            heard.start()
            alive.settimeout(0.1)
            while heard.is_alive():
                with contextlib.suppress(websocket.WebSocketTimeoutException):
                    alive.recv()
            assert _hub(app).counts()["dropped_silent"] >= 1
            alive.settimeout(10)
            app.extensions["streambet"].events.publish("market.status", {"market_id": 4})
            assert _next_message(alive) == {"topic": "market.status", "payload": {"market_id": 4}}
            _wait_for(lambda: _hub(app).counts()["sockets"] == 1)
        finally:
            alive.close()
            silent.close()


def test_a_page_that_stops_reading_is_dropped_not_buffered_for(tmp_path: Path) -> None:
    with _serving(tmp_path, ws_send_buffer_kb=16) as (app, url):
        stalled = RawPage(url, receive_buffer=4096)
        reader = _connect(url)
        bus = app.extensions["streambet"].events
        try:
            # 200 KB events, one at a time, each read by the reader before the next: it keeps
            # up, while the stalled page's backlog outgrows the kernel's buffers (a few MB on
            # loopback) and then the 16 KB allowed beyond them.
            n = 0
            while _hub(app).counts()["dropped_slow"] == 0:
                assert n < 500, "the stalled page was never dropped"
                bus.publish("market.status", {"market_id": n, "pad": "x" * 200_000})
                assert _next_message(reader)["payload"]["market_id"] == n
                n += 1
            stalled.read_until_closed()  # what the kernel held, then the reset
            _wait_for(lambda: _hub(app).counts()["sockets"] == 1)
            bus.publish("market.status", {"market_id": -1})
            assert _next_message(reader) == {"topic": "market.status", "payload": {"market_id": -1}}
        finally:
            reader.close()
            stalled.close()


def test_pings_are_answered_and_a_close_is_returned(served: tuple[Any, str]) -> None:
    app, url = served
    ws = _connect(url)
    try:
        ws.ping(b"are you there")
        opcode, frame = ws.recv_data_frame(control_frame=True)
        assert (opcode, frame.data) == (websocket.ABNF.OPCODE_PONG, b"are you there")
        ws.send_close(1000)
        opcode, frame = ws.recv_data_frame(control_frame=True)
        assert opcode == websocket.ABNF.OPCODE_CLOSE
        assert int.from_bytes(frame.data[:2], "big") == 1000
        _wait_for(lambda: _hub(app).counts()["sockets"] == 0)
    finally:
        ws.shutdown()
