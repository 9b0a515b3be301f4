"""kill -9 the real server in the middle of an analysis, start it again: the job runs to
completion exactly once, and the request id follows it into the worker."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.support.media import make_video
from tests.support.server import Server, server_env, streambet

pytestmark = pytest.mark.slow


def _log_lines(path: Path) -> list[dict[str, Any]]:
    lines = []
    for raw in path.read_text().splitlines():
        try:
            lines.append(json.loads(raw))
        except ValueError:
            continue
    return lines


def _status(server: Server, url: str) -> dict[str, Any]:
    body: dict[str, Any] = requests.get(server.url + url + "?format=timeline", timeout=5).json()
    return body


def test_kill_9_mid_analysis_then_restart_completes_once(tmp_path: Path) -> None:
    env = server_env(
        tmp_path / "var", analysis_backend="fake", job_lease_seconds="2", queue_workers="1"
    )
    streambet("db", "upgrade", env=env)
    clip = make_video(tmp_path / "clip.mp4", seconds=4.0)
    log = tmp_path / "server.log"

    first = Server(env, log)
    try:
        options = {"extra": {"fake_sleep_ms": 400}}
        with clip.open("rb") as fh:
            created = requests.post(
                first.url + "/api/analyze",
                files={"options": (None, json.dumps(options)), "file": ("clip.mp4", fh)},
                headers={"X-Request-ID": "durability-test-1"},
                timeout=30,
            )
        assert created.status_code == 202, created.text
        assert created.headers["X-Request-ID"] == "durability-test-1"
        url = created.json()["url"]
        deadline = time.monotonic() + 60
        while _status(first, url)["progress"] < 10:
            assert time.monotonic() < deadline
            time.sleep(0.1)
    finally:
        first.kill9()
    interrupted = [e for e in _log_lines(log) if e.get("analysis_id") == url.rsplit("/", 1)[1]]
    assert [e["message"] for e in interrupted if e["message"] == "analysis finished"] == []

    second = Server(env, log)
    try:
        deadline = time.monotonic() + 90
        state = _status(second, url)
        while state["status"] not in ("succeeded", "failed", "canceled"):
            assert time.monotonic() < deadline, state
            time.sleep(0.2)
            state = _status(second, url)
        # Let a second, duplicate run show itself if there were one.
        time.sleep(3)
        health = requests.get(second.url + "/api/health", timeout=5).json()
    finally:
        code = second.stop()

    assert state["status"] == "succeeded", state
    assert state["attempts"] == 2
    assert state["result"]["analysed_until_ms"] == 4000
    assert health["checks"]["queue"]["depth"] == 0
    job_id = url.rsplit("/", 1)[1]
    events = [e for e in _log_lines(log) if e.get("analysis_id") == job_id]
    finished = [e for e in events if e["message"] == "analysis finished"]
    assert len(finished) == 1
    started = [e for e in events if e["message"] == "analysis started"]
    assert [e["attempt"] for e in started] == [1, 2]
    assert {e.get("request_id") for e in started + finished} == {"durability-test-1"}
    assert any(e["message"] == "analysis lease lapsed; queued again" for e in events)
    # Clean stop: gunicorn exits 0 after the consumer stopped.
    assert code == 0
    assert any(e["message"] == "queue consumer stopped" for e in _log_lines(log))
    assert [p for p in (tmp_path / "var" / "storage").rglob("*") if p.is_file()] == []


def test_exactly_one_consumer_with_several_workers(tmp_path: Path) -> None:
    env = server_env(tmp_path / "var", analysis_backend="fake")
    streambet("db", "upgrade", env=env)
    log = tmp_path / "server.log"
    server = Server(env, log, workers=3)
    try:
        time.sleep(2)  # every worker has booted and tried the lock
    finally:
        assert server.stop() == 0
    started = [e for e in _log_lines(log) if e.get("message") == "queue consumer started"]
    assert len(started) == 1
