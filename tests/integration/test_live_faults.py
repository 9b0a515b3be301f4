"""Live faults in a live job: a source that drops mid-stream and comes back (the stream
shows `reconnecting` with the reason, then `live`; the coverage has a gap with that
reason), one whose server stops answering on an open connection (`stalled`, then `live`), and a URL
that never answers (`failed` with the reason, the job ends)."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from streambet import create_app
from streambet.worker import LiveJobs
from tests.support.api import Actor, make_actor
from tests.support.live import prepared_model_dir, wait_for
from tests.support.live_hls import LiveHls, live_hls


@pytest.fixture
def live_app(base_config: dict[str, Any], database_url: str) -> Iterator[Flask]:
    app = create_app(
        {
            **base_config,
            "database_url": database_url,
            "model_dir": str(prepared_model_dir()),
            "job_lease_seconds": 3,
            "live_open_timeout_seconds": 2,
            "live_read_timeout_seconds": 6,  # a stall shows after half of it
            "live_give_up_seconds": 4,
        }
    )
    try:
        yield app
    finally:
        app.extensions["streambet"].close()


def _start(app: Flask, op: Actor, url: str) -> int:
    made = app.test_client().post(
        "/api/streams",
        json={
            "name": "cam",
            "source_url": url,
            "options": {"detectors": ["classifier"], "pose": False, "audio": False},
            "start": True,
        },
        headers=op.headers,
    )
    assert made.status_code == 201, made.get_json()
    sid: int = made.get_json()["id"]
    return sid


def _get(app: Flask, op: Actor, sid: int) -> dict[str, Any]:
    body: dict[str, Any] = (
        app.test_client().get(f"/api/streams/{sid}", headers=op.headers).get_json()
    )
    return body


@contextmanager
def _live(app: Flask, tmp_path: Path) -> Iterator[tuple[Actor, int, LiveHls]]:
    """An operator's stream of a live HLS source, followed by one live job until it is
    `live`: (operator, stream id, source); the job is stopped on the way out."""
    op = make_actor(app, "operator")
    jobs = LiveJobs(app.extensions["streambet"], 1)
    with live_hls(tmp_path, [("chelsea", 120)]) as source:
        sid = _start(app, op, source.url)
        try:
            jobs.tick()
            wait_for(lambda: _get(app, op, sid)["status"] == "live", 60)
            yield op, sid, source
        finally:
            jobs.stop(30)


def test_source_drops_and_comes_back(live_app: Flask, tmp_path: Path) -> None:
    app = live_app
    with _live(app, tmp_path) as (op, sid, source):
        source.drop()
        down = wait_for(lambda: (s := _get(app, op, sid))["status"] == "reconnecting" and s, 30)
        assert down["status_reason"].startswith("source lost:")
        source.restore()
        back = wait_for(
            lambda: (s := _get(app, op, sid))["status"] == "live" and len(s["coverage"]) == 2 and s,
            60,
        )
    assert len(back["gaps"]) == 1
    gap = back["gaps"][0]
    assert gap["reason"].startswith("source lost:")
    assert gap["until_ms"] > gap["from_ms"]


def test_a_stalled_source_shows_stalled_then_live(live_app: Flask, tmp_path: Path) -> None:
    app = live_app
    with _live(app, tmp_path) as (op, sid, source):
        source.hold()
        stalled = wait_for(lambda: (s := _get(app, op, sid))["status"] == "stalled" and s, 30)
        assert stalled["status_reason"] == "no picture from the source for a while"
        source.release()
        wait_for(lambda: _get(app, op, sid)["status"] == "live", 60)


def test_never_answering_url_fails_with_reason(live_app: Flask) -> None:
    app = live_app
    op = make_actor(app, "operator")
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(8)
    jobs = LiveJobs(app.extensions["streambet"], 1)
    try:
        sid = _start(app, op, f"http://127.0.0.1:{silent.getsockname()[1]}/live.m3u8")
        jobs.tick()
        failed = wait_for(lambda: (s := _get(app, op, sid))["status"] == "failed" and s, 60)
        wait_for(lambda: not any(t.is_alive() for t, _ in jobs._jobs.values()), 30)
    finally:
        jobs.stop(30)
        silent.close()
    assert "never answered" in failed["status_reason"]
    assert failed["coverage"] == []
