"""/api/ws on the Redis event bus: with several workers every worker's hub relays every
event, and a hub whose subscription breaks closes its pages (1011) so they reconnect and
catch up, and serves again once it has resubscribed. Other test runs may share the Redis
server, so each test waits for its own marker among whatever else is published."""

from __future__ import annotations

import itertools
import json
import os
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
import websocket

from streambet.adapters.events import RedisEventBus
from streambet.api.ws import hub_of
from tests.e2e.test_ws import _serving
from tests.support.server import Server, server_env, streambet
from tests.support.ws import open_page, ws_url

pytestmark = pytest.mark.slow
REDIS_ENV = "STREAMBET_TEST_REDIS_URL"
PAGES = 12


@pytest.fixture
def redis_url() -> str:
    url = os.environ.get(REDIS_ENV)
    if not url:
        pytest.skip(f"Redis variant: set {REDIS_ENV} to run it")
    return url


@pytest.fixture
def bus(redis_url: str) -> Iterator[RedisEventBus]:
    bus = RedisEventBus(redis_url)
    yield bus
    bus.close()


def _wait_for_marker(ws: websocket.WebSocket, marker: str) -> None:
    while True:
        message = json.loads(ws.recv())
        if message["topic"] == "market.status" and message["payload"].get("marker") == marker:
            return


def _worker_pids(log: Path) -> set[int]:
    pids = set()
    for line in log.read_text().splitlines():
        if line.startswith("{"):
            entry = json.loads(line)
            if entry.get("message") == "request" and entry.get("path") == "/api/ws":
                pids.add(entry["pid"])
    return pids


def test_every_worker_relays_the_bus(tmp_path: Path, redis_url: str, bus: RedisEventBus) -> None:
    env = server_env(
        tmp_path / "var",
        analysis_backend="fake",
        embedded_worker="false",
        events_backend="redis",
        redis_url=redis_url,
    )
    streambet("db", "upgrade", env=env)
    server = Server(env, tmp_path / "server.log", workers=2)
    pages: list[websocket.WebSocket] = []
    try:
        sources = itertools.cycle(f"127.0.0.{n}" for n in range(2, 8))
        pages = [open_page(ws_url(server.url), source=next(sources)) for _ in range(PAGES)]
        # each on a fresh connection, which SO_REUSEPORT spreads (all on one: 2 ** -11)
        assert len(_worker_pids(server.log_path)) == 2
        marker = uuid.uuid4().hex
        bus.publish("market.status", {"market_id": 0, "marker": marker})
        for ws in pages:
            _wait_for_marker(ws, marker)
    finally:
        for ws in pages:
            ws.close()
        server.stop()


def _kill_subscription(redis_url: str, app: Any) -> None:
    """Cuts the hub's own pub/sub connection on the Redis side (and no one else's)."""
    connection = hub_of(app)._subscription._pubsub.connection
    host, port = connection._sock.getsockname()[:2]
    with redis.Redis.from_url(redis_url) as admin:
        assert admin.client_kill_filter(addr=f"{host}:{port}") == 1


def test_a_broken_subscription_closes_pages_and_the_hub_recovers(
    tmp_path: Path, redis_url: str, bus: RedisEventBus
) -> None:
    with _serving(tmp_path, events_backend="redis", redis_url=redis_url) as (app, url):
        page = open_page(url)
        try:
            _kill_subscription(redis_url, app)
            while True:  # whatever was on the way, then the close
                opcode, frame = page.recv_data_frame(control_frame=True)
                if opcode == websocket.ABNF.OPCODE_CLOSE:
                    break
            assert int.from_bytes(frame.data[:2], "big") == 1011
        finally:
            page.shutdown()
        deadline = time.monotonic() + 30
        while True:  # refused (503) until the hub has subscribed again
            try:
                page = open_page(url)
                break
            except websocket.WebSocketBadStatusException as refused:
                assert refused.status_code == 503
                assert time.monotonic() < deadline
                time.sleep(0.1)
        try:
            marker = uuid.uuid4().hex
            bus.publish("market.status", {"market_id": 0, "marker": marker})
            _wait_for_marker(page, marker)
        finally:
            page.close()
