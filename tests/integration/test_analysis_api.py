"""The analysis API end to end in process: uploads, jobs, results, cancel, roles, and every
kind of bad upload leaving nothing behind."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from streambet import create_app
from streambet.adapters.orm.analyses import Analysis
from streambet.services.analysis_runs import RunPolicy, engine_options
from tests.support.api import make_actor
from tests.support.media import make_video, png_bytes, video_bytes

SCRIPT = [{"name": "Cat", "start_ms": 500, "end_ms": 1500, "confidence": 93}]


def _upload(
    client: FlaskClient,
    data: bytes,
    name: str = "clip.mp4",
    *,
    options: dict[str, Any] | None = None,
    query: str = "",
    headers: dict[str, str] | None = None,
) -> Any:
    form: dict[str, Any] = {}
    if options is not None:
        form["options"] = json.dumps(options)
    form["file"] = (io.BytesIO(data), name)
    return client.post(
        f"/api/analyze{query}", data=form, content_type="multipart/form-data", headers=headers
    )


def _raw_upload(client: FlaskClient, data: bytes, name: str = "clip.mp4") -> Any:
    """Builds the multipart body by hand: the test client spools large bodies to a
    temporary file it never closes when the server stops reading early."""
    boundary = "streambet-test-boundary"
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{name}"\r\n'
            "Content-Type: video/mp4\r\n\r\n"
        ).encode()
        + data
        + f"\r\n--{boundary}--\r\n".encode()
    )
    return client.post(
        "/api/analyze",
        input_stream=io.BytesIO(body),
        content_length=len(body),
        content_type=f"multipart/form-data; boundary={boundary}",
    )


def _files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


def _rows(app: Flask) -> int:
    with app.extensions["streambet"].read_uow() as uow:
        return int(uow.session.scalar(select(func.count()).select_from(Analysis)) or 0)


def test_upload_runs_the_job_and_serves_the_timeline(any_db_app: Flask, tmp_path: Path) -> None:
    client = any_db_app.test_client()
    created = _upload(client, video_bytes(tmp_path), options={"extra": {"fake_labels": SCRIPT}})
    assert created.status_code == 202, created.get_json()
    body = created.get_json()
    assert set(body) == {"job_id", "status", "url"}
    assert body["url"] == f"/api/analyses/{body['job_id']}"
    assert created.headers["Location"] == body["url"]

    done = client.get(body["url"] + "?format=timeline").get_json()
    assert done["status"] == "succeeded"
    assert done["progress"] == 100
    assert done["file_name"] == "clip.mp4"
    assert done["video"]["duration_ms"] == 2000
    assert done["timings"]["engine_ms"] is not None and done["timings"]["run_ms"] >= 0
    stamps = sorted({s["timestamp_ms"] for s in done["result"]["samples"]})
    assert stamps == [500, 1000, 1500]  # 2 samples a second, Cat scripted for 0.5-1.5 s
    assert {s["name"] for s in done["result"]["samples"]} == {"Cat"}
    # The upload has served its purpose and is gone; the evidence frames stay.
    root = Path(any_db_app.extensions["streambet"].settings.resolved_storage_dir)
    assert [p.relative_to(root).as_posix() for p in _files(root)] == sorted(
        f"analyses/{body['job_id']}/frames/{ms}.jpg" for ms in stamps
    )

    listed = client.get("/api/analyses").get_json()["items"]
    assert [a["id"] for a in listed] == [body["job_id"]]
    assert listed[0]["result"] is None


def test_options_are_validated_and_extra_is_only_for_the_test_engine(
    app: Flask, tmp_path: Path
) -> None:
    client = app.test_client()
    data = video_bytes(tmp_path)
    bad = _upload(client, data, options={"sample_fps": 0})
    assert bad.status_code == 400
    assert bad.get_json()["error"]["details"][0]["field"] == "sample_fps"
    assert _upload(client, data, options={"nope": 1}).status_code == 400
    w = app.extensions["streambet"]
    with_local = create_app(
        {
            "env": "test",
            "data_dir": str(tmp_path / "other"),
            "queue_backend": "memory",
            "database_url": w.settings.database_url,
            "analysis_backend": "local",
        }
    )
    try:
        refused = _upload(with_local.test_client(), data, options={"extra": {"x": 1}})
        assert refused.status_code == 400
    finally:
        with_local.extensions["streambet"].close()
    assert _rows(app) == 0


BAD_UPLOADS = [
    ("empty", lambda tmp: b"", "clip.mp4", 400, "empty_file"),
    ("not a video", lambda tmp: b"hello, I am text\n" * 50, "clip.mp4", 415, "not_a_video"),
    ("disguised image", lambda tmp: png_bytes(), "clip.mp4", 415, "not_a_video"),
    (
        "truncated",
        lambda tmp: video_bytes(tmp)[:1500],
        "clip.mp4",
        400,
        "truncated_video",
    ),
    ("traversal", video_bytes, "../../etc/passwd.mp4", 400, "invalid_file_name"),
    ("windows traversal", video_bytes, "..\\..\\boot.mp4", 400, "invalid_file_name"),
    ("full-width solidus", video_bytes, "..／..／x.mp4", 400, "invalid_file_name"),
    ("bidi override", video_bytes, "clip\u202e4pm.exe", 400, "invalid_file_name"),
    ("zero width", video_bytes, "cl\u200bip.mp4", 400, "invalid_file_name"),
    ("control char", video_bytes, "clip\x07.mp4", 400, "invalid_file_name"),
    ("no name", video_bytes, "", 400, "missing_file"),
]


@pytest.mark.parametrize(
    ("data", "name", "status", "code"),
    [case[1:] for case in BAD_UPLOADS],
    ids=[case[0] for case in BAD_UPLOADS],
)
def test_bad_uploads_are_refused_and_leave_nothing(
    app: Flask, tmp_path: Path, data: Any, name: str, status: int, code: str
) -> None:
    response = _upload(app.test_client(), data(tmp_path), name)
    assert response.status_code == status, response.get_json()
    error = response.get_json()["error"]
    assert error["code"] == code
    assert set(error) == {"code", "message", "details"}
    settings = app.extensions["streambet"].settings
    assert _files(settings.resolved_storage_dir) == []
    assert _rows(app) == 0


def test_too_long_and_too_big_are_413_and_leave_nothing(
    base_config: dict[str, Any], database_url: str, tmp_path: Path
) -> None:
    app = create_app(
        {**base_config, "database_url": database_url, "max_video_seconds": 1, "max_upload_mb": 1}
    )
    try:
        client = app.test_client()
        long_clip = _upload(client, video_bytes(tmp_path, seconds=2.0))
        assert long_clip.status_code == 413
        assert long_clip.get_json()["error"]["code"] == "video_too_large"
        big = make_video(tmp_path / "big.mp4", seconds=1.0)
        padded = big.read_bytes() + b"\0" * (1024 * 1024)
        too_big = _raw_upload(client, padded)
        assert too_big.status_code == 413
        assert too_big.get_json()["error"]["code"] == "payload_too_large"
        assert _files(app.extensions["streambet"].settings.resolved_storage_dir) == []
        assert _rows(app) == 0
    finally:
        app.extensions["streambet"].close()


def test_missing_field_and_wrong_content_type(client: FlaskClient, tmp_path: Path) -> None:
    other_field = client.post(
        "/api/analyze",
        data={"video": (io.BytesIO(video_bytes(tmp_path)), "clip.mp4")},
        content_type="multipart/form-data",
    )
    assert other_field.status_code == 400
    assert other_field.get_json()["error"]["code"] == "missing_file"
    as_json = client.post("/api/analyze", json={"file": "clip.mp4"})
    assert as_json.status_code == 415
    raw = client.post("/api/analyze", data=b"\x00\x01", content_type="video/mp4")
    assert raw.status_code == 415


def test_a_body_cut_short_is_400(client: FlaskClient, tmp_path: Path, app: Flask) -> None:
    boundary = "XyZ"
    body = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="c.mp4"\r\n'
        "Content-Type: video/mp4\r\n\r\n"
    ).encode() + video_bytes(tmp_path)[:4000]
    response = client.post(
        "/api/analyze", data=body, content_type=f"multipart/form-data; boundary={boundary}"
    )
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "incomplete_upload"
    assert _files(app.extensions["streambet"].settings.resolved_storage_dir) == []
    assert _rows(app) == 0


def test_roles_ownership_and_production_tokens(
    base_config: dict[str, Any], database_url: str, tmp_path: Path
) -> None:
    app = create_app(
        {**base_config, "database_url": database_url, "env": "production", "secret_key": "k" * 32}
    )
    try:
        client = app.test_client()
        data = video_bytes(tmp_path)
        anonymous = _upload(client, data)
        assert anonymous.status_code == 401
        bettor = make_actor(app, "bettor")
        assert _upload(client, data, headers=bettor.headers).status_code == 403
        operator = make_actor(app, "operator")
        created = _upload(client, data, headers=operator.headers)
        assert created.status_code == 202
        url = created.get_json()["url"] + "?format=timeline"
        assert client.get(url, headers=operator.headers).status_code == 200
        assert client.get(url, headers=bettor.headers).status_code == 404
        admin = make_actor(app, "admin")
        assert client.get(url, headers=admin.headers).status_code == 200
        assert client.get("/api/analyses", headers=bettor.headers).get_json() == {"items": []}
        assert client.get(url).status_code == 401
    finally:
        app.extensions["streambet"].close()


def test_compat_mode_acts_as_the_demo_operator(client: FlaskClient, tmp_path: Path) -> None:
    created = _upload(client, video_bytes(tmp_path))
    assert created.status_code == 202
    assert client.get(created.get_json()["url"] + "?format=timeline").status_code == 200


def test_unknown_analysis_and_finished_cancel(client: FlaskClient, tmp_path: Path) -> None:
    assert client.get("/api/analyses/nope").status_code == 404
    assert client.delete("/api/analyses/nope").status_code == 404
    created = _upload(client, video_bytes(tmp_path)).get_json()
    again = client.delete(created["url"])
    assert again.status_code == 409
    assert again.get_json()["error"]["details"] == {"status": "succeeded"}


def test_request_id_is_echoed_and_made(client: FlaskClient) -> None:
    given = client.get("/api/health", headers={"X-Request-ID": "abc-123"})
    assert given.headers["X-Request-ID"] == "abc-123"
    made = client.get("/api/health", headers={"X-Request-ID": "bad id with spaces"})
    assert len(made.headers["X-Request-ID"]) == 32


def test_health_and_metrics(client: FlaskClient, tmp_path: Path) -> None:
    health = client.get("/api/health").get_json()
    assert health["checks"]["queue"] == {"status": "ok", "backend": "memory", "depth": 0}
    assert health["checks"]["storage"] == {"status": "ok", "backend": "local"}
    _upload(client, video_bytes(tmp_path))
    text = client.get("/metrics").get_data(as_text=True)
    assert (
        'streambet_http_requests_total{endpoint="/api/health",method="GET",status="200"} 1.0'
        in text
    )
    assert 'streambet_http_request_seconds_bucket{endpoint="/api/analyze"' in text
    assert 'streambet_jobs_total{status="succeeded"} 1.0' in text
    assert 'streambet_analyses{status="succeeded"} 1.0' in text
    assert "streambet_queue_depth 0.0" in text


def test_wait_returns_the_original_response(client: FlaskClient, tmp_path: Path) -> None:
    pytest.importorskip("streambet.vision.outputs", reason="the output shapes (branch vision)")
    response = _upload(
        client,
        video_bytes(tmp_path),
        options={"extra": {"fake_labels": SCRIPT}},
        query="?wait=true",
    )
    assert response.status_code == 200, response.get_json()
    seed = response.get_json()
    assert seed["status"] == "success"
    assert [entry["label"] for entry in seed["labels"]] == ["Cat"]
    assert seed["labels"][0]["timestamps"] == [0.5, 1.0, 1.5]
    shaped = client.get(f"/api/analyses/{seed['job_id']}?format=rekognition").get_json()
    assert {item["Timestamp"] for item in shaped["result"]["Labels"]} == {500, 1000, 1500}


def test_suggestions_come_with_the_timeline_and_agree_with_the_seed(
    client: FlaskClient, tmp_path: Path
) -> None:
    """The server computes suggestions once (streambet.domain.suggestions): the timeline
    format carries the list, and the original body's betting_suggestion is its first."""
    script = [
        {"name": "Cat", "start_ms": 0, "end_ms": 1500, "confidence": 93},
        {"name": "Dog", "start_ms": 1000, "end_ms": 1500, "confidence": 85},
    ]
    job = _upload(client, video_bytes(tmp_path), options={"extra": {"fake_labels": script}})
    url = job.get_json()["url"]
    timeline = client.get(url + "?format=timeline").get_json()
    suggestions = timeline["suggestions"]
    assert [s["label"] for s in suggestions] == ["Cat", "Dog"]
    first = suggestions[0]
    assert set(first) == {
        "question",
        "label",
        "criteria",
        "confidence",
        "probability",
        "timestamps_ms",
    }
    assert first["criteria"] == {"label": "Cat", "min_confidence": 80.0}
    assert first["timestamps_ms"] == [0, 500, 1000, 1500]
    assert 0 < first["probability"] < 1
    seed = client.get(url + "?format=seed").get_json()
    assert "suggestions" not in seed  # only the timeline format carries them
    assert seed["result"]["betting_suggestion"] == {
        "suggestion": first["question"],
        "detected_activity": "Cat",
        "confidence": first["confidence"],
        "timestamps": [0.0, 0.5, 1.0, 1.5],
    }


def test_a_queue_that_is_down_leaves_nothing_behind(
    base_config: dict[str, Any], database_url: str, tmp_path: Path
) -> None:
    # Nothing listens on port 1: enqueueing fails for real after the row was committed.
    app = create_app(
        {
            **base_config,
            "database_url": database_url,
            "queue_backend": "redis",
            "redis_url": "redis://127.0.0.1:1/0",
        }
    )
    try:
        client = app.test_client()
        response = _upload(client, video_bytes(tmp_path))
        # retryable: 503 with Retry-After (the queue restarting), not a 500
        assert response.status_code == 503
        assert response.get_json()["error"]["code"] == "queue_unavailable"
        assert response.headers["Retry-After"]
        assert _rows(app) == 0
        assert _files(app.extensions["streambet"].settings.resolved_storage_dir) == []
        health = client.get("/api/health")
        assert health.status_code == 503
        assert health.get_json()["checks"]["queue"]["status"] == "error"
    finally:
        app.extensions["streambet"].close()


def test_engine_features_are_typed_options_any_backend_accepts(app: Flask, tmp_path: Path) -> None:
    client = app.test_client()
    data = video_bytes(tmp_path)
    assert _upload(client, data, options={"features": {"pose": "maybe"}}).status_code == 400
    assert _upload(client, data, options={"features": {"faces": False}}).status_code == 400
    created = _upload(client, data, options={"features": {"pose": False, "speech": False}})
    assert created.status_code == 202
    with app.extensions["streambet"].read_uow() as uow:
        stored = uow.session.get(Analysis, created.get_json()["job_id"]).options
    assert stored["features"] == {"pose": False, "speech": False}
    features = engine_options(RunPolicy(), stored).features
    assert (features.pose, features.audio, features.speech) == (False, True, False)
