"""A local Twitch Helix Predictions server for tests. It checks every request the way Twitch
documents it (auth headers, body fields and their types, title and outcome lengths, 2-10
outcomes, a 30-1800 s window, the broadcaster matching the token's user, one running
prediction per channel, the allowed status changes) and answers in Twitch's shapes."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from flask import Flask, jsonify, request
from flask.wrappers import Response

from tests.support.threaded_server import serving

CLIENT_ID = "fake-client-id"
ENDS = {"LOCKED": ("ACTIVE",), "RESOLVED": ("ACTIVE", "LOCKED"), "CANCELED": ("ACTIVE", "LOCKED")}


class Refused(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status, self.message = status, message


@dataclass
class FakeHelix:
    tokens: dict[str, str]  # access token -> the user id it belongs to
    predictions: dict[str, dict[str, Any]] = field(default_factory=dict)
    # every request: (method, body, answer status); refused ones too
    calls: list[tuple[str, Any, int]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def running(self, broadcaster_id: str) -> list[dict[str, Any]]:
        return [
            p
            for p in self.predictions.values()
            if p["broadcaster_id"] == broadcaster_id and p["status"] in ("ACTIVE", "LOCKED")
        ]

    def app(self) -> Flask:
        app = Flask("twitch_helix_fake")

        @app.route("/helix/predictions", methods=["POST", "PATCH"])
        def predictions() -> tuple[Response, int]:
            body = request.get_json(silent=True)
            with self.lock:
                try:
                    user = self._auth()
                    if not isinstance(body, dict):
                        raise Refused(400, "The request body must be a JSON object.")
                    made = (
                        self._create(user, body)
                        if request.method == "POST"
                        else (self._end(user, body))
                    )
                except Refused as r:
                    self.calls.append((request.method, body, r.status))
                    return jsonify(
                        {"error": _REASONS[r.status], "status": r.status, "message": r.message}
                    ), r.status
                self.calls.append((request.method, body, 200))
                return jsonify({"data": [made]}), 200

        return app

    def _auth(self) -> str:
        if request.headers.get("Client-Id") != CLIENT_ID:
            raise Refused(401, "Client ID and OAuth token do not match")
        kind, _, token = request.headers.get("Authorization", "").partition(" ")
        if kind != "Bearer" or token not in self.tokens:
            raise Refused(401, "Invalid OAuth token")
        if request.mimetype != "application/json":
            raise Refused(400, "Content-Type must be application/json")
        return self.tokens[token]

    def _create(self, user: str, body: dict[str, Any]) -> dict[str, Any]:
        _fields(body, {"broadcaster_id", "title", "outcomes", "prediction_window"}, set())
        _owner(user, body)
        title = body["title"]
        if not isinstance(title, str) or not 1 <= len(title) <= 45:
            raise Refused(400, "The title must be 1-45 characters.")
        outcomes = body["outcomes"]
        if not isinstance(outcomes, list) or not 2 <= len(outcomes) <= 10:
            raise Refused(400, "A prediction has 2-10 outcomes.")
        for o in outcomes:
            if not isinstance(o, dict) or set(o) != {"title"}:
                raise Refused(400, "Each outcome is an object with a title.")
            if not isinstance(o["title"], str) or not 1 <= len(o["title"]) <= 25:
                raise Refused(400, "Outcome titles must be 1-25 characters.")
        window = body["prediction_window"]
        if type(window) is not int or not 30 <= window <= 1800:
            raise Refused(400, "prediction_window must be an integer from 30 to 1800.")
        if self.running(user):
            raise Refused(400, "The broadcaster already has a prediction that is active.")
        pid = str(uuid.uuid4())
        made = {
            "id": pid,
            "broadcaster_id": user,
            "broadcaster_name": f"user{user}",
            "broadcaster_login": f"user{user}",
            "title": title,
            "winning_outcome_id": None,
            "outcomes": [
                {
                    "id": str(uuid.uuid4()),
                    "title": o["title"],
                    "users": 0,
                    "channel_points": 0,
                    "top_predictors": None,
                    "color": "BLUE" if i == 0 else "PINK",
                }
                for i, o in enumerate(outcomes)
            ],
            "prediction_window": window,
            "status": "ACTIVE",
            "created_at": _now(),
            "ended_at": None,
            "locked_at": None,
        }
        self.predictions[pid] = made
        return made

    def _end(self, user: str, body: dict[str, Any]) -> dict[str, Any]:
        _fields(body, {"broadcaster_id", "id", "status"}, {"winning_outcome_id"})
        _owner(user, body)
        found = self.predictions.get(body["id"]) if isinstance(body["id"], str) else None
        if found is None or found["broadcaster_id"] != user:
            raise Refused(404, "The prediction was not found.")
        status = body["status"]
        if status not in ENDS:
            raise Refused(400, "status must be LOCKED, RESOLVED or CANCELED.")
        if found["status"] not in ENDS[status]:
            raise Refused(400, f"A {found['status']} prediction cannot become {status}.")
        winner = body.get("winning_outcome_id")
        if status == "RESOLVED":
            if winner not in {o["id"] for o in found["outcomes"]}:
                raise Refused(400, "winning_outcome_id must be one of the prediction's outcomes.")
            found["winning_outcome_id"] = winner
            found["ended_at"] = _now()
        elif winner is not None:
            raise Refused(400, "winning_outcome_id is only for RESOLVED.")
        elif status == "LOCKED":
            found["locked_at"] = _now()
        else:
            found["ended_at"] = _now()
        found["status"] = status
        return found


_REASONS = {400: "Bad Request", 401: "Unauthorized", 404: "Not Found"}


def _fields(body: dict[str, Any], required: set[str], optional: set[str]) -> None:
    missing, unknown = required - set(body), set(body) - required - optional
    if missing or unknown:
        raise Refused(400, f"Missing {sorted(missing)}, unknown {sorted(unknown)}.")
    for name in required | (optional & set(body)):
        if not isinstance(body[name], str) and name not in ("outcomes", "prediction_window"):
            raise Refused(400, f"{name} must be a string.")


def _owner(user: str, body: dict[str, Any]) -> None:
    if body["broadcaster_id"] != user:
        raise Refused(401, "The ID in broadcaster_id must match the user ID in the access token.")


def _now() -> str:
    return datetime.now(UTC).isoformat().replace("+00:00", "Z")


@contextmanager
def fake_helix(tokens: dict[str, str]) -> Iterator[tuple[FakeHelix, str]]:
    """The fake and its base URL (…/helix), served from a thread."""
    fake = FakeHelix(tokens)
    with serving(fake.app()) as url:
        yield fake, f"{url}/helix"
