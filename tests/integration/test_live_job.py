"""A live job in this process on the real local engine: a cat clip replayed as live
(looping) is followed, label events (start with an evidence frame, then end) reach the
event bus and the database, the latest picture is served with its boxes, samples are
stored in chunks, the lease is kept, a stop ends the job and closes the coverage interval,
and retention deletes what is old."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from streambet.adapters.orm.streams import StreamChunk, StreamEvent, StreamInterval
from streambet.services import live_runs
from streambet.services.live_frames import jpeg_time
from streambet.worker import LiveJobs
from tests.support.api import make_actor
from tests.support.clips import make_clip
from tests.support.live import prepared_model_dir, wait_for


@pytest.fixture
def live_app(base_config: dict[str, Any], database_url: str, tmp_path: Path) -> Any:
    from streambet import create_app

    app = create_app(
        {
            **base_config,
            "database_url": database_url,
            "model_dir": str(prepared_model_dir()),
            "job_lease_seconds": 3,
            "sample_fps": 2.0,
        }
    )
    try:
        yield app
    finally:
        app.extensions["streambet"].close()


@pytest.mark.parametrize("database_url", ["sqlite", "postgresql"], indirect=True)
def test_replayed_cat_is_followed_live(live_app: Flask, tmp_path: Path) -> None:
    app = live_app
    w = app.extensions["streambet"]
    clip = make_clip(tmp_path / "cat.mp4", [("chelsea", 4), ("black", 4)], fps=10)
    op = make_actor(app, "operator")
    heard = w.events.subscribe("stream.labels", "stream.status", "stream.frame")
    c = app.test_client()
    made = c.post(
        "/api/streams",
        json={
            "name": "cat cam",
            "source_url": f"replay:{clip}",
            "options": {"loop": True, "detectors": ["classifier", "objects"], "pose": False},
            "start": True,
        },
        headers=op.headers,
    ).get_json()
    sid = made["id"]
    assert made["status"] == "starting"
    jobs = LiveJobs(w, 1)
    try:
        jobs.tick()
        events: list[dict[str, Any]] = []
        statuses: list[str] = []

        def labels_seen() -> bool:
            event = heard.get(timeout=0.5)
            while event is not None:
                if event.topic == "stream.labels":
                    assert event.payload["stream_id"] == sid
                    assert event.payload["user_id"] == op.user_id
                    events.extend(event.payload["events"])
                elif event.topic == "stream.status":
                    statuses.append(event.payload["status"])
                event = heard.get(timeout=0)
            kinds = {(e["label"], e["kind"]) for e in events}
            return ("Cat", "start") in kinds and ("Cat", "end") in kinds

        wait_for(labels_seen, 90)
        assert "live" in statuses
        start = next(e for e in events if e["label"] == "Cat" and e["kind"] == "start")
        assert start["confidence"] >= 50 and start["frame_ms"] == start["stream_ms"]
        assert abs(start["wall_ms"] - start["stream_ms"]) < 10_000
        frame = c.get(f"/api/streams/{sid}/events/{start['id']}/frame", headers=op.headers)
        assert frame.status_code == 200 and frame.data[:2] == b"\xff\xd8"
        latest = c.get(f"/api/streams/{sid}/frame", headers=op.headers)
        assert latest.status_code == 200 and latest.mimetype == "image/jpeg"
        assert int(latest.headers["X-Frame-Ms"]) == jpeg_time(latest.data) > 0
        got = c.get(f"/api/streams/{sid}", headers=op.headers).get_json()
        assert got["status"] == "live" and got["lag_ms"] is not None and got["lag_ms"] < 5000
        assert len(got["coverage"]) == 1 and got["gaps"] == []
        assert any(e["label"] == "Cat" for e in got["events"])

        stopped = c.post(f"/api/streams/{sid}/stop", headers=op.headers).get_json()
        assert stopped["status"] == "idle"
        wait_for(lambda: not any(t.is_alive() for t, _ in jobs._jobs.values()), 30)
        with w.read_uow() as uow:
            intervals = uow.session.query(StreamInterval).filter_by(stream_id=sid).all()
            assert [i.end_reason for i in intervals] == ["the stream was stopped"]
            assert intervals[0].until_ms - intervals[0].from_ms >= 4000
            chunks = uow.session.query(StreamChunk).filter_by(stream_id=sid).all()
            assert chunks and all(ch.samples for ch in chunks)
            assert any(s["name"] == "Cat" for ch in chunks for s in ch.samples)
        after = c.get(f"/api/streams/{sid}", headers=op.headers).get_json()
        assert after["status"] == "idle" and after["status_reason"] == "stopped by its operator"
    finally:
        jobs.stop(30)
        heard.close()

    # Retention: everything older than the cutoff goes, frames included.
    runner = w.live_runner
    import dataclasses

    expired = dataclasses.replace(
        runner, policy=dataclasses.replace(runner.policy, retention_hours=1e-9)
    )
    assert live_runs.sweep_retention(expired) > 0
    with w.read_uow() as uow:
        assert uow.session.query(StreamEvent).filter_by(stream_id=sid).count() == 0
        assert uow.session.query(StreamChunk).filter_by(stream_id=sid).count() == 0
    frame = c.get(f"/api/streams/{sid}/events/{start['id']}/frame", headers=op.headers)
    assert frame.status_code == 404


def test_sound_events_and_words_on_the_live_audio_track(live_app: Flask, tmp_path: Path) -> None:
    from tests.integration.audio.sounds import COMMENTARY, espeak, place
    from tests.integration.vision.voiced_clips import make_voiced_clip
    from tests.support.clips import photo

    speech, rate = espeak(COMMENTARY, tmp_path)
    clip = make_voiced_clip(
        tmp_path / "voiced.mp4", [(photo("coffee"), 14.0)], place(speech, 1.0, 14.0, rate), rate
    )
    app = live_app
    w = app.extensions["streambet"]
    op = make_actor(app, "operator")
    heard = w.events.subscribe("stream.labels")
    made = app.test_client().post(
        "/api/streams",
        json={
            "name": "commentary",
            "source_url": f"replay:{clip}",
            "options": {"detectors": ["classifier"], "pose": False, "speech": True},
            "start": True,
        },
        headers=op.headers,
    )
    assert made.status_code == 201
    jobs = LiveJobs(w, 1)
    events: list[dict[str, Any]] = []
    try:
        jobs.tick()

        def spoken() -> bool:
            event = heard.get(timeout=0.5)
            while event is not None:
                events.extend(event.payload["events"])
                event = heard.get(timeout=0)
            return any(e["source"] == "speech" and "goal" in (e["text"] or "") for e in events)

        wait_for(spoken, 90)
    finally:
        jobs.stop(30)
        heard.close()
    sounds = [e for e in events if e["source"] == "sound" and e["label"] == "Speech"]
    assert sounds and sounds[0]["kind"] == "start" and sounds[0]["frame_ms"] is None
    first = min(e["stream_ms"] for e in events)
    word = next(e for e in events if e["source"] == "speech" and "goal" in e["text"])
    assert 1000 <= word["stream_ms"] - first <= 6000  # said about 1-4 s into the clip


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_coverage_never_reaches_past_the_moment_it_was_written(live_app: Flask) -> None:
    """A picture stands for its sample interval, but a job killed right after writing must
    not have claimed stream time that had not happened yet (the kill -9 takeover's gap
    then starts before the kill)."""
    import threading

    from streambet.services.live_job import LiveJob
    from streambet.vision.live.source import now_ms

    app = live_app
    w = app.extensions["streambet"]
    op = make_actor(app, "operator")
    made = app.test_client().post(
        "/api/streams",
        json={"name": "cam", "source_url": "replay:/nowhere.mp4", "start": True},
        headers=op.headers,
    )
    assert made.status_code == 201, made.get_json()
    claim = live_runs.claim_next(w.live_runner, "test", set())
    assert claim is not None
    job = LiveJob(w.live_runner, claim, op.user_id, threading.Event())
    picture_ms = now_ms()
    job.analysed(picture_ms, picture_ms + 500, 0, b"\xff\xd8")  # the first: written at once
    written_by = now_ms()
    with w.read_uow() as uow:
        (interval,) = uow.session.query(StreamInterval).filter_by(stream_id=claim.stream_id)
        from_ms, until_ms = interval.from_ms, interval.until_ms
    assert from_ms == picture_ms
    assert picture_ms <= until_ms <= written_by < picture_ms + 500
