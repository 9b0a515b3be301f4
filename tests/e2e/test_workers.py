"""`streambet serve --workers 2` on the embedded SQLite: both workers take connections,
wagers from both land in one ledger, and /metrics reports every worker's requests
whichever worker answers the scrape."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

import pytest
import requests

from tests.support.server import Server, server_env, streambet

pytestmark = pytest.mark.slow
REQUESTS = 40
COUNT = re.compile(
    r'^streambet_http_requests_total\{endpoint="/api/openapi.json",method="GET",status="200"\}'
    r" (\S+)$",
    re.M,
)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    root = tmp_path_factory.mktemp("workers")
    env = server_env(root / "var", analysis_backend="fake", embedded_worker="false")
    streambet("db", "upgrade", env=env)
    running = Server(env, root / "server.log", workers=2)
    yield running
    running.stop()


def _answered_by(server: Server, path: str) -> set[int]:
    """The worker processes that logged a request for `path`."""
    pids = set()
    for line in server.log_path.read_text().splitlines():
        if line.startswith("{"):
            entry = json.loads(line)
            if entry.get("message") == "request" and entry.get("path") == path:
                pids.add(entry["pid"])
    return pids


def test_connections_spread_and_metrics_add_up(server: Server) -> None:
    for _ in range(REQUESTS):  # each on a fresh connection, which SO_REUSEPORT spreads
        requests.get(server.url + "/api/openapi.json", timeout=30).raise_for_status()
    # both workers answered (the chance that one took all 40: 2 ** -39)
    assert len(_answered_by(server, "/api/openapi.json")) == 2
    for _ in range(4):  # whichever worker answers, it counts everyone's requests
        scrape = requests.get(server.url + "/metrics", timeout=30).text
        found = COUNT.search(scrape)
        assert found is not None, scrape[:2000]
        assert float(found.group(1)) == REQUESTS
