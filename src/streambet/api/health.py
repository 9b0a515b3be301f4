"""Liveness and dependency status."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify
from sqlalchemy import text

from streambet.api.openapi import documented
from streambet.wiring import wiring

bp = Blueprint("health", __name__)


def _check_database() -> dict[str, str]:
    try:
        with wiring().db.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception as exc:  # reported, not raised: health must answer even when parts fail
        return {"status": "error", "message": type(exc).__name__}
    return {"status": "ok", "backend": wiring().db.engine.dialect.name}


@bp.get("/api/health")
@documented("Service status and the status of each dependency", tags=("service",))
def health() -> tuple[Response, int]:
    checks = {"database": _check_database()}
    healthy = all(c["status"] == "ok" for c in checks.values())
    body = {
        "status": "healthy" if healthy else "degraded",
        "service": "streambet",
        "environment": wiring().settings.env,
        "checks": checks,
    }
    return jsonify(body), 200 if healthy else 503
