"""Helpers for API tests: accounts of each role and their auth headers."""

from __future__ import annotations

import io
import itertools
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flask import Flask

from streambet.domain.accounts import Principal, Role
from streambet.services import accounts

_seq = itertools.count(1)
PASSWORD = "correct horse battery"
ADULT = "1990-04-01"  # a date of birth sign-up accepts


@dataclass(frozen=True)
class Actor:
    user_id: int
    email: str
    role: str
    token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    @property
    def principal(self) -> Principal:
        """Who the actor is, for calling a use case directly."""
        return Principal(self.user_id, self.email, self.email.split("@")[0], Role(self.role))


def production_config(data_dir: Path, database_url: str, **extra: Any) -> dict[str, Any]:
    """Settings of a production app for a test: a private secret, the in-memory queue, no
    embedded worker, the fake engine; `extra` adds or overrides."""
    return {
        "env": "production",
        "secret_key": "a-private-test-secret-of-enough-length",
        "data_dir": str(data_dir),
        "queue_backend": "memory",
        "embedded_worker": False,
        "analysis_backend": "fake",
        "database_url": database_url,
        **extra,
    }


def make_actor(app: Flask, role: str = "bettor", email: str | None = None) -> Actor:
    """Creates an account through the service layer (sign-up only makes bettors) and logs in
    through the API, as a client would."""
    email = email or f"{role}{next(_seq)}@example.test"
    wiring = app.extensions["streambet"]
    principal = accounts.create_account(wiring.uow(), email, PASSWORD, role)
    response = app.test_client().post(
        "/api/auth/login", json={"email": email, "password": PASSWORD}
    )
    assert response.status_code == 200, response.get_json()
    return Actor(principal.user_id, email, role, response.get_json()["token"])


def upload(
    app: Flask, actor: Actor, data: bytes, script: list[dict[str, Any]], *, hold: bool = False
) -> str:
    """POSTs a clip to /api/analyze for the fake engine, which reports `script`'s labels
    ({"name", "start_ms", "end_ms", "confidence"}); returns the job id. `hold`: recorded,
    not analysed until `start` (markets open on its footage meanwhile)."""
    response = app.test_client().post(
        "/api/analyze?hold=true" if hold else "/api/analyze",
        data={
            "options": json.dumps({"extra": {"fake_labels": script}}),
            "file": (io.BytesIO(data), "clip.mp4"),
        },
        content_type="multipart/form-data",
        headers=actor.headers,
    )
    assert response.status_code == 202, response.get_json()
    job_id: str = response.get_json()["job_id"]
    return job_id


def start(app: Flask, actor: Actor, job_id: str) -> None:
    """Starts a held analysis (the memory queue of the tests runs it there and then)."""
    response = app.test_client().post(f"/api/analyses/{job_id}/start", headers=actor.headers)
    assert response.status_code == 202, response.get_json()
