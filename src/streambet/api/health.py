"""Liveness and dependency status.

Two questions, two endpoints: `/api/health/live` says whether this node can take requests
(the load balancer's check), `/api/health` whether the node and what it depends on work. A
shared dependency's outage (PostgreSQL, Redis, S3) fails every node alike; were it the load
balancer's check, all nodes would leave together and clients would get the balancer's bare
503 instead of the app's own answer (503 with Retry-After, in the error envelope)."""

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


@bp.get("/api/health/live")
@documented("Whether this node answers (the load balancer's check)", tags=("service",))
def live() -> tuple[Response, int]:
    return jsonify({"status": "alive", "service": "streambet"}), 200
