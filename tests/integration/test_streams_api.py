"""/api/streams: create, list, read, start, stop, delete; who may; URLs refused in the
error envelope with nothing stored."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from streambet import create_app
from streambet.adapters.orm.streams import Stream
from tests.support import databases
from tests.support.api import Actor, make_actor, production_config


def _count(app: Flask) -> int:
    w = app.extensions["streambet"]
    with w.read_uow() as uow:
        return len(uow.session.query(Stream).all())


def _post(app: Flask, actor: Actor, body: Any) -> Any:
    return app.test_client().post("/api/streams", json=body, headers=actor.headers)


def test_lifecycle(any_db_app: Flask, tmp_path: Path) -> None:
    app = any_db_app
    op = make_actor(app, "operator")
    other = make_actor(app, "operator")
    bettor = make_actor(app, "bettor")
    c = app.test_client()
    body = {"name": "cam", "source_url": f"replay:{tmp_path}/clip.mp4", "options": {"loop": True}}
    made = _post(app, op, body)
    assert made.status_code == 201, made.get_json()
    stream = made.get_json()
    assert stream["status"] == "idle"
    assert stream["options"]["loop"] is True
    assert stream["coverage"] == [] and stream["gaps"] == [] and stream["events"] == []
    sid = stream["id"]
    assert _post(app, bettor, body).status_code == 403
    assert c.get(f"/api/streams/{sid}", headers=other.headers).status_code == 404
    listed = c.get("/api/streams", headers=op.headers).get_json()
    assert [s["id"] for s in listed["items"]] == [sid] and listed["total"] == 1
    assert c.get("/api/streams", headers=other.headers).get_json()["total"] == 0

    started = c.post(f"/api/streams/{sid}/start", headers=op.headers).get_json()
    assert started["status"] == "starting" and started["started_at_ms"]
    assert c.get("/api/streams?status=starting", headers=op.headers).get_json()["total"] == 1
    running = c.delete(f"/api/streams/{sid}", headers=op.headers)
    assert running.status_code == 409
    assert running.get_json()["error"]["code"] == "stream_running"
    stopped = c.post(f"/api/streams/{sid}/stop", headers=op.headers).get_json()
    assert stopped["status"] == "idle"
    assert stopped["status_reason"] == "stopped by its operator"
    assert c.post(f"/api/streams/{sid}/stop", headers=other.headers).status_code == 404
    assert c.get(f"/api/streams/{sid}/frame", headers=op.headers).status_code == 404

    assert c.delete(f"/api/streams/{sid}", headers=other.headers).status_code == 404
    assert c.delete(f"/api/streams/{sid}", headers=op.headers).status_code == 204
    assert c.get(f"/api/streams/{sid}", headers=op.headers).status_code == 404
    assert _count(app) == 0


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"name": "x", "source_url": "file:///etc/passwd"}, "bad_source_url"),
        ({"name": "x", "source_url": "http://a b/"}, "validation_failed"),
        ({"name": "x", "source_url": "replay:clip.mp4"}, "bad_source_url"),
        ({"name": "x", "source_url": "http://h/", "options": {"detectors": ["nope"]}}, None),
        ({"name": "x", "source_url": "http://h/", "options": {"sample_fps": 0}}, None),
        ({"name": "", "source_url": "http://h/"}, None),
        ({"name": "x", "source_url": "http://h/", "extra": 1}, None),
    ],
)
def test_malformed_is_400_and_stores_nothing(app: Flask, body: Any, code: str | None) -> None:
    op = make_actor(app, "operator")
    response = _post(app, op, body)
    assert response.status_code == 400, response.get_json()
    error = response.get_json()["error"]
    assert error["message"]
    if code:
        assert error["code"] == code
    assert _count(app) == 0


@pytest.fixture
def production(tmp_path: Path) -> Any:
    media = tmp_path / "media"
    media.mkdir()
    (media / "clip.mp4").write_bytes(b"")
    (tmp_path / "outside.mp4").write_bytes(b"")
    (media / "escape.mp4").symlink_to(tmp_path / "outside.mp4")

    def make(**extra: Any) -> Any:
        return create_app(
            {
                **production_config(tmp_path / "var", url),
                "live_media_dir": str(media),
                **extra,
            }
        )

    with databases.sqlite_database(tmp_path) as url:
        yield make, media


@pytest.mark.parametrize(
    "source",
    [
        "http://127.0.0.1:8000/live.m3u8",
        "rtsp://localhost/cam",
        "http://169.254.169.254/latest/meta-data/",
        "rtmp://10.0.0.5/live",
        "http://[::1]/x.m3u8",
        "srt://192.168.0.2:9000",
        "http://no-such-host.invalid/x.m3u8",
        "replay:/etc/passwd",
        "replay:{media}/../outside.mp4",
        "replay:{media}/escape.mp4",
    ],
)
def test_production_refuses(production: Any, source: str) -> None:
    make, media = production
    app = make()
    try:
        op = make_actor(app, "operator")
        response = _post(app, op, {"name": "x", "source_url": source.format(media=media)})
        assert response.status_code == 400, response.get_json()
        assert response.get_json()["error"]["code"] in ("source_refused", "source_unresolvable")
        assert _count(app) == 0
    finally:
        app.extensions["streambet"].close()


def test_production_allows_media_and_public_and_loopback_setting(production: Any) -> None:
    make, media = production
    app = make()
    try:
        op = make_actor(app, "operator")
        ok = [f"replay:{media}/clip.mp4", "rtsp://93.184.216.34/cam", "https://twitch.tv/chan"]
        for source in ok:
            assert _post(app, op, {"name": "x", "source_url": source}).status_code == 201
    finally:
        app.extensions["streambet"].close()
    app = make(live_allow_loopback=True)
    try:
        op = make_actor(app, "operator")
        body = {"name": "x", "source_url": "http://127.0.0.1:8000/live.m3u8"}
        assert _post(app, op, body).status_code == 201
    finally:
        app.extensions["streambet"].close()


def test_demo_stream_is_seeded_once_and_started(app: Flask) -> None:
    from streambet.services import demo, streams
    from streambet.services.demo_stream import seed_demo_stream

    w = app.extensions["streambet"]
    operator = demo.ensure_demo_operator(w.uow())
    media = w.settings.resolved_media_dir
    first = seed_demo_stream(w.uow, w.source_checks, operator, media)
    assert first is not None and first.status == "starting"
    assert first.source_url == f"replay:{media / 'demo-stream.mp4'}"
    assert first.options == {"loop": True, "speech": False}
    streams.stop_stream(w.uow(), first.id, operator)
    again = seed_demo_stream(w.uow, w.source_checks, operator, media)
    assert again is not None and again.id == first.id and again.status == "starting"
    assert _count(app) == 1
