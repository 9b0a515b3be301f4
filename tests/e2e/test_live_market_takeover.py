"""kill -9 the server following a stream during a live market's window: another server
takes the stream over, and the market settles exactly once, from the coverage the new
worker writes: the gap decides review (nothing qualifying was seen)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
import requests
from sqlalchemy import func, select

from streambet import create_app
from streambet.adapters.orm.betting import Settlement
from tests.support.api import make_actor
from tests.support.betting import fund
from tests.support.clips import make_clip
from tests.support.live import prepared_model_dir, start_replay_stream, wait_for
from tests.support.server import Server, server_env, streambet

pytestmark = pytest.mark.slow
LEASE = 3


def test_a_killed_worker_leaves_a_gap_that_sends_the_market_to_review(tmp_path: Path) -> None:
    var = tmp_path / "var"
    env = server_env(
        var,
        model_dir=str(prepared_model_dir()),
        job_lease_seconds=str(LEASE),
        sample_fps="2",
        betting_sweep_seconds="1",
    )
    streambet("db", "upgrade", env=env)
    clip = make_clip(tmp_path / "cat.mp4", [("chelsea", 3), ("coffee", 3)], fps=10)
    app = create_app({"data_dir": str(var), "embedded_worker": False})
    try:
        op, bettor = make_actor(app, "operator"), make_actor(app)
        fund(app, bettor.user_id, 100)
    finally:
        app.extensions["streambet"].close()
    log = tmp_path / "server.log"

    def get(server: Server, path: str) -> dict[str, Any]:
        got = requests.get(server.url + path, headers=op.headers, timeout=10)
        assert got.status_code == 200, got.text
        body: dict[str, Any] = got.json()
        return body

    first = Server(env, log)
    try:
        sid = start_replay_stream(first.url, op.headers, clip)
        wait_for(lambda: get(first, f"/api/streams/{sid}")["status"] == "live", 120)
        start = int(time.time() * 1000) + 10_000  # time to bet, even on a loaded machine
        market = requests.post(
            f"{first.url}/api/streams/{sid}/markets",
            json={
                "question": "A dog in the next 30 seconds?",
                "criteria": {"label": "Dog"},
                "from_ms": start,
                "until_ms": start + 30_000,
            },
            headers=op.headers,
            timeout=10,
        )
        assert market.status_code == 201, market.text
        mid = market.json()["market"]["id"]
        staked = requests.post(
            f"{first.url}/api/markets/{mid}/wagers",
            json={"outcome_id": market.json()["market"]["outcomes"][1]["id"], "stake": 10},
            headers={"Authorization": f"Bearer {bettor.token}"},
            timeout=10,
        )
        assert staked.status_code == 201, staked.text
        while time.time() * 1000 < start + 8_000:  # well inside the window
            time.sleep(0.2)
    finally:
        first.kill9()
    killed_ms = int(time.time() * 1000)

    second = Server(env, log)
    try:
        settled = wait_for(
            lambda: (
                (m := get(second, f"/api/markets/{mid}/live"))["market"]["status"] != "locked" and m
            ),
            120,
        )
        stream = get(second, f"/api/streams/{sid}")
    finally:
        second.stop()
    assert settled["market"]["status"] == "review"
    assert settled["market"]["settlement"]["decision"] == "review"
    gap = stream["gaps"][0]
    assert gap["from_ms"] <= killed_ms <= gap["until_ms"]
    assert start < gap["from_ms"] < start + 30_000
    app = create_app({"data_dir": str(var), "embedded_worker": False})
    try:
        w = app.extensions["streambet"]
        with w.read_uow() as uow:
            count = uow.session.scalar(select(func.count()).where(Settlement.market_id == mid))
        assert count == 1
    finally:
        app.extensions["streambet"].close()
