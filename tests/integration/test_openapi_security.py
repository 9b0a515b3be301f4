"""What the OpenAPI document says about each route's security is what the route enforces:
every route of the app is called without a token and with tokens of each role, in
production (no compatibility mode) and outside it, and the answers are compared with the
document."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from streambet import create_app
from streambet.api.openapi_doc import _PARAM
from streambet.services import accounts
from tests.support import databases

ROLES = ("bettor", "operator", "admin")
RANK = {role: i for i, role in enumerate(ROLES)}
# A value for each path parameter; the auth check comes before anything reads them.
SAMPLE = {"id": "1", "ms": "1", "analysis": "0123456789abcdef0123456789abcdef"}
_CONVERTER = re.compile(r"<(?:([a-z_]+):)?([A-Za-z_][A-Za-z0-9_]*)>")


def _app(base_config: dict[str, Any], tmp_path: Path, **extra: Any) -> Iterator[Flask]:
    with databases.sqlite_database(tmp_path) as url:
        app = create_app({**base_config, "database_url": url, **extra})
        try:
            yield app
        finally:
            app.extensions["streambet"].close()


@pytest.fixture
def production_app(base_config: dict[str, Any], tmp_path: Path) -> Iterator[Flask]:
    config = {**base_config, "env": "production"}
    yield from _app(config, tmp_path, secret_key="a-private-test-secret")


def _routes(app: Flask) -> list[tuple[str, str, str]]:
    """(method, URL to call, documented path) for every route but the static files."""
    out = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        url = _CONVERTER.sub(lambda m: SAMPLE.get(m.group(1) or "default", "x"), rule.rule)
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            out.append((method, url, _PARAM.sub(r"{\1}", rule.rule)))
    return out


def _token(app: Flask, role: str) -> str:
    """A fresh token for a fresh account (a call may revoke the token it was sent with)."""
    w = app.extensions["streambet"]
    email = f"{role}-{uuid.uuid4().hex[:12]}@example.test"
    who = accounts.create_account(w.uow(), email, "a password!", role)
    return accounts.issue_token(w.uow(), who.user_id, timedelta(hours=1))


def _call(app: Flask, method: str, url: str, token: str | None = None) -> int:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    response = app.test_client().open(url, method=method, headers=headers)
    status = response.status_code
    response.close()
    return status


def test_every_route_enforces_what_the_document_says(production_app: Flask) -> None:
    app = production_app
    doc = app.test_client().get("/api/openapi.json").get_json()
    checked = 0
    for method, url, path in _routes(app):
        op = doc["paths"][path][method.lower()]
        security = op["security"]
        anonymous = _call(app, method, url)
        if security == []:  # documented public
            assert anonymous != 401, (method, path, "documented public, refuses anonymous")
            continue
        assert security == [{"bearer": []}], (method, path, security)
        assert anonymous == 401, (method, path, "documented as needing a token", anonymous)
        needed = op["x-required-role"]
        for role in ROLES:
            status = _call(app, method, url, _token(app, role))
            if RANK[role] < RANK[needed]:
                assert status == 403, (method, path, role, "below the documented role", status)
            elif role == needed:
                assert status not in (401, 403), (method, path, role, status)
        checked += 1
    assert checked >= 20  # most of the API needs a token


def test_the_original_endpoints_are_documented_with_an_optional_token(app: Flask) -> None:
    """Outside production, /api/bets, /api/resolve and the analysis endpoints take a token
    or none (the demo operator), and the document says both."""
    doc = app.test_client().get("/api/openapi.json").get_json()
    for method, path in (
        ("get", "/api/bets"),
        ("post", "/api/resolve"),
        ("post", "/api/analyze"),
        ("get", "/api/analyses/{analysis_id}"),
    ):
        op = doc["paths"][path][method]
        assert op["security"] == [{"bearer": []}, {}], (method, path)
    assert app.test_client().get("/api/bets").status_code == 200  # no token: demo operator
    assert doc["paths"]["/api/markets/{market_id}/wagers"]["get"]["security"] == [{"bearer": []}]
    assert doc["paths"]["/api/markets"]["get"]["security"] == []  # visitors browse markets
    assert doc["paths"]["/api/health"]["get"]["security"] == []
