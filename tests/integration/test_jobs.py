"""The queue consumer in process, on both Huey storages: progress pushed through the event
bus, cancel, shutdown hand-back, and the claim that makes a job finish exactly once."""

from __future__ import annotations

import io
import json
import os
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from streambet import create_app
from streambet.adapters.queue import ConsumerLock
from streambet.config import load_settings
from streambet.services import analyses, analysis_runs
from streambet.worker import Worker as Consumer
from tests.support.media import video_bytes

REDIS_ENV = "STREAMBET_TEST_REDIS_URL"


@pytest.fixture(params=["sqlite", "redis"])
def queued_app(
    request: pytest.FixtureRequest, base_config: dict[str, Any], database_url: str
) -> Iterator[Flask]:
    config = {**base_config, "database_url": database_url, "queue_backend": request.param}
    if request.param == "redis":
        url = os.environ.get(REDIS_ENV)
        if not url:
            pytest.skip(f"Redis variant: set {REDIS_ENV} to run it")
        config |= {"redis_url": url, "queue_name": f"test-{uuid.uuid4().hex[:8]}"}
    app = create_app(config)
    yield app
    w = app.extensions["streambet"]
    if request.param == "redis":
        w.queue.huey.storage.flush_all()
    w.close()


def _post(app: Flask, data: bytes, extra: dict[str, Any]) -> str:
    response = app.test_client().post(
        "/api/analyze",
        data={"options": json.dumps({"extra": extra}), "file": (io.BytesIO(data), "c.mp4")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 202, response.get_json()
    job_id: str = response.get_json()["job_id"]
    return job_id


def _until(predicate: Any, seconds: float = 60.0) -> None:
    deadline = time.monotonic() + seconds
    while not predicate():
        assert time.monotonic() < deadline, "gave up waiting"
        time.sleep(0.05)


def test_progress_is_pushed_and_the_job_succeeds(queued_app: Flask, tmp_path: Path) -> None:
    w = queued_app.extensions["streambet"]
    consumer = Consumer(w, workers=1)
    with w.events.subscribe(analyses.TOPIC) as sub:
        consumer.start()
        try:
            job_id = _post(queued_app, video_bytes(tmp_path, seconds=2.0), {"fake_sleep_ms": 20})
            seen: list[dict[str, Any]] = []
            while not seen or seen[-1]["status"] not in ("succeeded", "failed", "canceled"):
                event = sub.get(timeout=30)
                assert event is not None, f"no event after {seen[-3:]}"
                if event.payload["id"] == job_id:
                    seen.append(event.payload)
        finally:
            consumer.stop()
    statuses = [e["status"] for e in seen]
    assert statuses[0] == "queued" and statuses[-1] == "succeeded"
    running = [e["progress"] for e in seen if e["status"] == "running"]
    assert len(running) > 3 and running == sorted(running)
    assert seen[-1]["progress"] == 100
    state = analyses.get_state(w.read_uow(), job_id)
    assert state is not None and state.attempts == 1 and w.queue.depth() == 0


def test_cancel_stops_a_running_job(queued_app: Flask, tmp_path: Path) -> None:
    w = queued_app.extensions["streambet"]
    consumer = Consumer(w, workers=1)
    consumer.start()
    try:
        job_id = _post(queued_app, video_bytes(tmp_path, seconds=4.0), {"fake_sleep_ms": 400})
        _until(lambda: (analyses.get_state(w.read_uow(), job_id) or _never()).status == "running")
        response = queued_app.test_client().delete(f"/api/analyses/{job_id}")
        assert response.status_code == 202
        _until(lambda: (analyses.get_state(w.read_uow(), job_id) or _never()).done)
    finally:
        consumer.stop()
    state = analyses.get_state(w.read_uow(), job_id)
    assert state is not None and state.status == "canceled" and state.timeline is None
    assert not any(w.settings.resolved_storage_dir.rglob("*.*"))


def test_a_queued_job_is_canceled_at_once(queued_app: Flask, tmp_path: Path) -> None:
    w = queued_app.extensions["streambet"]
    job_id = _post(queued_app, video_bytes(tmp_path), {})  # no consumer running
    response = queued_app.test_client().delete(f"/api/analyses/{job_id}")
    assert response.get_json()["status"] == "canceled"
    consumer = Consumer(w, workers=1)
    consumer.start()
    try:
        _until(lambda: w.queue.depth() == 0)
    finally:
        consumer.stop()
    state = analyses.get_state(w.read_uow(), job_id)
    assert state is not None and state.status == "canceled" and state.attempts == 0


def test_stopping_hands_a_running_job_back(queued_app: Flask, tmp_path: Path) -> None:
    w = queued_app.extensions["streambet"]
    consumer = Consumer(w, workers=1)
    consumer.start()
    job_id = _post(queued_app, video_bytes(tmp_path, seconds=4.0), {"fake_sleep_ms": 400})
    _until(lambda: (analyses.get_state(w.read_uow(), job_id) or _never()).progress > 5)
    consumer.stop()
    state = analyses.get_state(w.read_uow(), job_id)
    assert state is not None and state.status == "queued" and state.attempts == 0
    assert w.queue.pending("run_analysis") == {job_id}
    consumer = Consumer(w, workers=1)
    consumer.start()
    try:
        _until(lambda: (analyses.get_state(w.read_uow(), job_id) or _never()).done)
    finally:
        consumer.stop()
    state = analyses.get_state(w.read_uow(), job_id)
    assert state is not None and state.status == "succeeded" and state.attempts == 1


def test_duplicate_deliveries_run_once(app: Flask, tmp_path: Path) -> None:
    """The memory queue runs the task inside submit; delivering it again does nothing."""
    w = app.extensions["streambet"]
    job_id = _post(app, video_bytes(tmp_path), {})
    before = analyses.get_state(w.read_uow(), job_id)
    analysis_runs.run(w.runner, job_id)
    analysis_runs.run(w.runner, job_id)
    after = analyses.get_state(w.read_uow(), job_id)
    assert before is not None and after is not None
    assert after.status == "succeeded" and after.attempts == 1
    assert after.finished_at == before.finished_at


def test_only_one_embedded_consumer_per_data_dir(tmp_path: Path) -> None:
    first, second = ConsumerLock(tmp_path), ConsumerLock(tmp_path)
    assert first.acquire()
    assert not second.acquire()
    first.release()
    assert second.acquire()
    second.release()


def _never() -> Any:
    raise AssertionError("the analysis row disappeared")


def test_engines_are_kept_warm_and_never_shared(tmp_path: Path) -> None:
    from streambet.adapters.engines import EnginePool

    pool = EnginePool(load_settings({"analysis_backend": "fake", "data_dir": str(tmp_path)}))
    with pool.borrow() as first, pool.borrow() as second:
        assert first is not second  # two jobs at once get two engines
    with pool.borrow() as again:
        assert again is first or again is second


def test_the_rekognition_engine_gets_the_apps_settings(tmp_path: Path) -> None:
    from streambet.adapters.engines import EnginePool

    settings = load_settings(
        {"analysis_backend": "rekognition", "s3_bucket": "app-bucket", "data_dir": str(tmp_path)},
        environ={},
    )
    with EnginePool(settings).borrow() as engine:
        assert engine.config.bucket == "app-bucket"


@pytest.mark.parametrize("database_url", ["sqlite", "postgresql"], indirect=True)
def test_racing_deliveries_run_the_job_once(
    base_config: dict[str, Any],
    database_url: str,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    app = create_app({**base_config, "database_url": database_url, "queue_backend": "sqlite"})
    w = app.extensions["streambet"]
    try:
        job_id = _post(app, video_bytes(tmp_path), {"fake_sleep_ms": 20})  # queued, no consumer
        barrier = threading.Barrier(4)

        def deliver() -> None:
            barrier.wait()
            analysis_runs.run(w.runner, job_id)

        caplog.set_level("INFO", logger="streambet.services.analysis_runs")
        runners = [threading.Thread(target=deliver) for _ in range(4)]
        for runner in runners:
            runner.start()
        for runner in runners:
            runner.join()
        state = analyses.get_state(w.read_uow(), job_id)
        assert state is not None and state.status == "succeeded" and state.attempts == 1
        started = [r for r in caplog.records if r.getMessage() == "analysis started"]
        finished = [r for r in caplog.records if r.getMessage() == "analysis finished"]
        assert len(started) == len(finished) == 1
    finally:
        w.close()


def test_other_tasks_can_be_registered_and_carry_the_request_id(queued_app: Flask) -> None:
    from streambet.logs import request_id_var

    w = queued_app.extensions["streambet"]
    ran: list[tuple[Any, ...]] = []
    w.queue.register("note", lambda *ids: ran.append((ids, request_id_var.get())))
    w.queue.enqueue("note", "m-1", 7, request_id="req-9")
    consumer = Consumer(w, workers=1)
    consumer.start()
    try:
        _until(lambda: bool(ran))
    finally:
        consumer.stop()
    assert ran == [(("m-1", 7), "req-9")]
