"""Issue 3's closing condition: a real upload, analysed by the real local engine, through the
API of the real server, with a plain multipart POST and no token, as the original's
clients (and `curl -F file=@clip.mp4`) did it."""

from __future__ import annotations

from pathlib import Path

import pytest
import requests

from tests.support import clips
from tests.support.server import Server, server_env, streambet

pytestmark = pytest.mark.slow


def test_a_real_clip_through_the_api_on_the_real_engine(tmp_path: Path) -> None:
    clip = clips.make_clip(tmp_path / "cat-then-astronaut.mp4", [("chelsea", 3), ("astronaut", 3)])
    env = server_env(tmp_path / "var", analysis_backend="local", model_dir=str(tmp_path / "models"))
    streambet("db", "upgrade", env=env)
    server = Server(env, tmp_path / "server.log")
    try:
        with clip.open("rb") as fh:
            response = requests.post(
                server.url + "/api/analyze?wait=true",
                files={"file": ("cat-then-astronaut.mp4", fh, "video/mp4")},
                timeout=600,
            )
        assert response.status_code == 200, response.text
        seed = response.json()
        assert set(seed) >= {
            "status",
            "job_id",
            "total_labels",
            "labels",
            "activity_labels",
            "betting_suggestion",
            "video_metadata",
        }
        assert seed["video_metadata"]["duration_seconds"] == pytest.approx(6.0, abs=0.2)
        assert seed["total_labels"] == len(seed["labels"]) > 0
        cat = [entry for entry in seed["labels"] if entry["label"] == "Cat"]
        assert cat, [entry["label"] for entry in seed["labels"]]
        assert min(cat[0]["timestamps"]) < 3.0

        job = requests.get(
            f"{server.url}/api/analyses/{seed['job_id']}",
            params={"format": "rekognition", "aggregate_by": "segments"},
            timeout=30,
        ).json()
        assert job["status"] == "succeeded" and job["progress"] == 100
        assert job["timings"]["engine_ms"] > 0 and job["timings"]["evidence_ms"] is not None
        names = {item["Label"]["Name"] for item in job["result"]["Labels"]}
        assert "Cat" in names
        assert all("StartTimestampMillis" in item for item in job["result"]["Labels"])
    finally:
        assert server.stop() == 0
    # The upload is gone; the evidence frames of the labelled samples stay.
    root = tmp_path / "var" / "storage"
    stored = [p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()]
    assert stored and all(p.startswith(f"analyses/{seed['job_id']}/frames/") for p in stored)
