"""The orphan sweep removes what a crash left in storage, and nothing else: not what the
database knows, not what is younger than the grace period (in flight)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from flask import Flask

from streambet.adapters.orm.analyses import Analysis
from streambet.worker import sweep_storage
from tests.support.api import make_actor, upload
from tests.support.clips import make_clip

TWO_HOURS = 2 * 3600


@pytest.fixture(scope="module")
def clip_bytes(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    path = tmp_path_factory.mktemp("orphans") / "clip.mp4"
    return make_clip(path, [("coffee", 1), ("chelsea", 1)], fps=10).read_bytes()


def _analysed(app: Flask, clip: bytes) -> tuple[str, list[int]]:
    """A finished analysis (the in-memory queue runs it inline) and its evidence frames."""
    script = [{"name": "Cat", "start_ms": 1000, "end_ms": 2000, "confidence": 93}]
    analysis_id = upload(app, make_actor(app, "operator"), clip, script)
    w = app.extensions["streambet"]
    with w.read_uow() as uow:
        row = uow.session.get(Analysis, analysis_id)
        assert row is not None and row.status == "succeeded"
        return analysis_id, list(row.evidence_frames or ())


def _age(path: Path, seconds: int) -> None:
    then = time.time() - seconds
    os.utime(path, (then, then))


def _stored(root: Path) -> set[str]:
    return {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()}


def test_the_sweep_removes_old_orphans_only(app: Flask, clip_bytes: bytes) -> None:
    w = app.extensions["streambet"]
    root = w.settings.resolved_storage_dir
    analysis_id, frames = _analysed(app, clip_bytes)
    assert frames
    kept = _stored(root)  # the analysis's own evidence frames
    assert kept == {f"analyses/{analysis_id}/frames/{ms}.jpg" for ms in frames}

    orphans = {
        "uploads/0123456789abcdef0123456789abcdef",  # stored, row never committed
        "uploads/.fedcba9876543210.0a1b2c3d.part",  # a write cut off
        "analyses/00000000000000000000000000000000/frames/500.jpg",  # analysis gone
        f"analyses/{analysis_id}/frames/99999.jpg",  # written, never recorded
    }
    for key in orphans | {"uploads/ffffffffffffffffffffffffffffffff"}:
        w.storage.put(key, [b"left behind"])
    for key in orphans | kept:
        _age(root / key, TWO_HOURS)  # the fresh upload stays: it may be in flight
    tmp = w.settings.data_dir / "tmp"
    tmp.mkdir(parents=True, exist_ok=True)
    for name in ("streambet-abc123", "streambet-fresh", "someone-elses"):
        (tmp / name).write_bytes(b"copy")
    _age(tmp / "streambet-abc123", TWO_HOURS)
    _age(tmp / "someone-elses", TWO_HOURS)

    result = sweep_storage(w)

    assert set(result.removed) == orphans | {"tmp/streambet-abc123"}
    assert _stored(root) == kept | {"uploads/ffffffffffffffffffffffffffffffff"}
    assert sorted(p.name for p in tmp.iterdir()) == ["someone-elses", "streambet-fresh"]
    assert app.test_client().get(f"/api/analyses/{analysis_id}/frames").status_code != 404
    assert sweep_storage(w).removed == []


def test_storage_sweep_command(app: Flask) -> None:
    w = app.extensions["streambet"]
    root = w.settings.resolved_storage_dir
    w.storage.put("uploads/0123456789abcdef0123456789abcdef", [b"left behind"])
    settings = w.settings
    env = {
        **os.environ,
        "STREAMBET_DATABASE_URL": settings.resolved_database_url,
        "STREAMBET_DATA_DIR": str(settings.data_dir),
        "STREAMBET_STORAGE_DIR": str(root),
    }
    command = [sys.executable, "-m", "streambet.cli", "storage", "sweep"]
    young = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    assert young.returncode == 0, young.stderr
    assert young.stdout.strip().endswith("storage: 0 orphan(s) removed")
    now = subprocess.run(
        [*command, "--grace-seconds", "0"], env=env, capture_output=True, text=True, check=False
    )
    assert now.returncode == 0, now.stderr
    assert "removed uploads/0123456789abcdef0123456789abcdef" in now.stdout
    assert _stored(root) == set()


def test_the_sweep_removes_live_stream_pictures_no_row_records(app: Flask) -> None:
    from streambet.adapters.orm.streams import Stream, StreamEvent

    w = app.extensions["streambet"]
    root = w.settings.resolved_storage_dir
    op = make_actor(app, "operator")
    with w.uow() as uow:
        stream = Stream(owner_id=op.user_id, name="cam", source_url="rtsp://h/x", status="idle")
        uow.session.add(stream)
        uow.session.flush()
        uow.session.add(
            StreamEvent(
                stream_id=stream.id,
                kind="start",
                label="Cat",
                source="picture",
                stream_ms=1_796_000_000_000,
                wall_ms=1_796_000_000_100,
                confidence=90.0,
                frame_ms=1_796_000_000_000,
            )
        )
        sid = stream.id
        uow.commit()
    kept = {f"streams/{sid}/latest.jpg", f"streams/{sid}/frames/1796000000000.jpg"}
    orphans = {
        f"streams/{sid}/frames/1796000000500.jpg",  # stored, its event never written
        "streams/999/latest.jpg",  # a deleted stream's
        "streams/999/frames/1.jpg",
    }
    for key in kept | orphans:
        w.storage.put(key, [b"jpeg"])
        _age(root / key, TWO_HOURS)
    result = sweep_storage(w)
    assert set(result.removed) == orphans
    assert _stored(root) == kept
