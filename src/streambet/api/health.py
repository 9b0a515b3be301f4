"""Liveness and dependency status."""

from __future__ import annotations

from collections.abc import Callable

from flask import Blueprint, Response, jsonify
from sqlalchemy import text

from streambet.api.openapi import documented
from streambet.wiring import wiring

bp = Blueprint("health", __name__)


def _check(probe: Callable[[], dict[str, object]]) -> dict[str, object]:
    try:
        return {"status": "ok", **probe()}
    except Exception as exc:  # reported, not raised: health must answer even when parts fail
        return {"status": "error", "message": type(exc).__name__}


def _database() -> dict[str, object]:
    with wiring().db.engine.connect() as conn:
        conn.execute(text("SELECT 1"))
    return {"backend": wiring().db.engine.dialect.name}


def _queue() -> dict[str, object]:
    w = wiring()
    return {"backend": w.settings.queue_backend, "depth": w.queue.depth()}


def _storage() -> dict[str, object]:
    w = wiring()
    w.storage.check()
    return {"backend": w.storage.name}


@bp.get("/api/health")
@documented("Service status and the status of each dependency", tags=("service",))
def health() -> tuple[Response, int]:
    checks = {"database": _check(_database), "queue": _check(_queue), "storage": _check(_storage)}
    healthy = all(c["status"] == "ok" for c in checks.values())
    body = {
        "status": "healthy" if healthy else "degraded",
        "service": "streambet",
        "environment": wiring().settings.env,
        "checks": checks,
    }
    return jsonify(body), 200 if healthy else 503
