"""`streambet worker` as its own process, on the Redis queue and Redis event bus: the web
app only enqueues; progress reaches the app's subscribers from the other process."""

from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from streambet import create_app
from streambet.services import analyses
from tests.support.media import video_bytes
from tests.support.server import server_env, streambet

pytestmark = pytest.mark.slow
REDIS_ENV = "STREAMBET_TEST_REDIS_URL"


def test_standalone_worker_runs_jobs_and_pushes_progress(tmp_path: Path) -> None:
    redis_url = os.environ.get(REDIS_ENV)
    if not redis_url:
        pytest.skip(f"Redis variant: set {REDIS_ENV} to run it")
    settings = {
        "queue_backend": "redis",
        "events_backend": "redis",
        "redis_url": redis_url,
        "queue_name": f"test-{uuid.uuid4().hex[:8]}",
        "embedded_worker": "false",
        "analysis_backend": "fake",
    }
    env = server_env(tmp_path / "var", **settings)
    streambet("db", "upgrade", env=env)
    app = create_app({**settings, "data_dir": str(tmp_path / "var")})
    w = app.extensions["streambet"]
    log = (tmp_path / "worker.log").open("wb")
    worker = subprocess.Popen(
        [sys.executable, "-m", "streambet.cli", "worker", "--threads", "1"],
        env=env,
        stdout=log,
        stderr=log,
    )
    try:
        with w.events.subscribe(analyses.TOPIC) as sub:
            response = app.test_client().post(
                "/api/analyze",
                data={
                    "options": json.dumps({"extra": {"fake_sleep_ms": 50}}),
                    "file": (io.BytesIO(video_bytes(tmp_path)), "c.mp4"),
                },
                content_type="multipart/form-data",
            )
            assert response.status_code == 202
            job_id = response.get_json()["job_id"]
            seen = []
            while not seen or seen[-1]["status"] not in ("succeeded", "failed", "canceled"):
                event = sub.get(timeout=60)
                assert event is not None, seen
                if event.payload["id"] == job_id:
                    seen.append(event.payload)
        assert seen[-1] == {
            "id": job_id,
            "user_id": seen[0]["user_id"],
            "status": "succeeded",
            "progress": 100,
        }
        assert any(e["status"] == "running" and 0 < e["progress"] < 100 for e in seen)
    finally:
        worker.send_signal(signal.SIGTERM)
        code = worker.wait(60)
        log.close()
        w.queue.huey.storage.flush_all()
        w.close()
    assert code == 0
    lines = [json.loads(x) for x in (tmp_path / "worker.log").read_text().splitlines() if x]
    assert [x["message"] for x in lines if x.get("analysis_id") == job_id][-1] == (
        "analysis finished"
    )
    assert any(x["message"] == "queue consumer stopped" for x in lines)
