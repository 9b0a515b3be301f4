"""Open pages do not crowd out the API under `streambet serve` (gunicorn, one worker, 64
request threads, default caps): WebSockets live on the worker's hub, not on request
threads, so four times as many pages as threads stay open while health and a wager still
answer, and every page hears the market news. Pages come from several loopback addresses
so that the default per-address cap holds."""

from __future__ import annotations

import itertools
from collections.abc import Iterator

import pytest
import requests
import websocket

from streambet.server import DEFAULT_THREADS
from tests.support.server import Server, server_env, streambet
from tests.support.ws import next_event, open_page, ws_url

pytestmark = pytest.mark.slow
PAGES = 4 * DEFAULT_THREADS
SOURCES = [f"127.0.0.{n}" for n in range(2, 10)]  # 32 pages each; the default cap is 64
PASSWORD = "correct horse battery"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    root = tmp_path_factory.mktemp("ws-capacity")
    env = server_env(root / "var", analysis_backend="fake", embedded_worker="false")
    streambet("db", "upgrade", env=env)
    for email, role in (("op@example.test", "operator"), ("bettor@example.test", "bettor")):
        streambet("users", "create", email, "--role", role, "--password", PASSWORD, env=env)
    running = Server(env, root / "server.log")
    yield running
    running.stop()


def _login(server: Server, email: str) -> dict[str, str]:
    login = requests.post(
        server.url + "/api/auth/login", json={"email": email, "password": PASSWORD}, timeout=30
    )
    login.raise_for_status()
    return {"Authorization": f"Bearer {login.json()['token']}"}


def test_hundreds_of_open_pages_and_the_api_still_answers(server: Server) -> None:
    url = ws_url(server.url)
    pages: list[websocket.WebSocket] = []
    try:
        for source in itertools.islice(itertools.cycle(SOURCES), PAGES):
            pages.append(open_page(url, source=source, timeout=30))
        assert requests.get(server.url + "/api/health", timeout=30).status_code == 200
        created = requests.post(
            server.url + "/api/markets",
            json={"question": "Open pages?", "criteria": {"label": "Cat"}},
            headers=_login(server, "op@example.test"),
            timeout=30,
        )
        assert created.status_code == 201, created.text
        market = created.json()
        wager = requests.post(
            f"{server.url}/api/markets/{market['id']}/wagers",
            json={"outcome_id": market["outcomes"][0]["id"], "stake": 500},
            headers=_login(server, "bettor@example.test"),
            timeout=30,
        )
        assert wager.status_code == 201, wager.text
        for ws in pages:  # every open page hears of the new market, then of its pool
            event = next_event(ws)
            assert event["topic"] == "market.status"
            assert event["payload"]["market_id"] == market["id"]
            event = next_event(ws)
            assert event["topic"] == "market.odds"
            assert event["payload"]["market_id"] == market["id"]
            assert event["payload"]["pool"] == 500
    finally:
        for ws in pages:
            ws.close()
