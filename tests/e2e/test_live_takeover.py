"""kill -9 the server following a live stream, start another: it takes the stream over once
the lease lapses, the stream time between is a gap ("the worker stopped without a word"),
and label events resume."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
import requests

from streambet import create_app
from tests.support.api import make_actor
from tests.support.clips import make_clip
from tests.support.live import prepared_model_dir, start_replay_stream, wait_for
from tests.support.server import Server, server_env, streambet

pytestmark = pytest.mark.slow
LEASE = 3


def test_kill_9_takeover_records_the_gap(tmp_path: Path) -> None:
    models = prepared_model_dir()
    var = tmp_path / "var"
    env = server_env(
        var,
        model_dir=str(models),
        job_lease_seconds=str(LEASE),
        sample_fps="2",
        betting_sweep_seconds="0",
    )
    streambet("db", "upgrade", env=env)
    clip = make_clip(tmp_path / "cat.mp4", [("chelsea", 3), ("coffee", 3)], fps=10)
    app = create_app({"data_dir": str(var), "embedded_worker": False})
    try:
        op = make_actor(app, "operator")
    finally:
        app.extensions["streambet"].close()
    log = tmp_path / "server.log"

    def stream(server: Server) -> dict[str, Any]:
        got = requests.get(f"{server.url}/api/streams/{sid}", headers=op.headers, timeout=10)
        assert got.status_code == 200, got.text
        body: dict[str, Any] = got.json()
        return body

    first = Server(env, log)
    try:
        sid = start_replay_stream(first.url, op.headers, clip)
        wait_for(lambda: stream(first)["status"] == "live" and stream(first)["events"], 120)
        time.sleep(1.5)  # the interval's end is written about once a second
        before = stream(first)
    finally:
        first.kill9()
    killed_ms = int(time.time() * 1000)
    assert len(before["coverage"]) == 1

    second = Server(env, log)
    try:
        after = wait_for(
            lambda: (s := stream(second))["status"] == "live" and len(s["coverage"]) == 2 and s,
            120,
        )
        resumed = wait_for(
            lambda: [
                e
                for e in stream(second)["events"]
                if e["stream_ms"] >= after["coverage"][1]["from_ms"]
            ],
            120,
        )
    finally:
        second.stop()
    gap = after["gaps"][0]
    assert gap["reason"] == "the worker stopped without a word (its lease lapsed)"
    assert gap["from_ms"] <= killed_ms <= gap["until_ms"]
    assert after["coverage"][0]["until_ms"] == gap["from_ms"]
    assert resumed
