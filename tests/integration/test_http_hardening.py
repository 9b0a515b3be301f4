"""Headers on every response, token responses kept by no cache, kept uploads served as
video, bounded metric labels and a /metrics that only the configured scraper reads in
production (issue 12, items 6 and 14)."""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask

from streambet import create_app
from streambet.api.hardening import HEADERS
from tests.support.api import make_actor


def _has_security_headers(response: Any) -> None:
    for name, value in HEADERS.items():
        assert response.headers.get(name) == value, (name, response.headers.get(name))


def test_every_response_carries_the_security_headers(app: Flask) -> None:
    client = app.test_client()
    for method, url in (
        ("GET", "/"),
        ("GET", "/api/health"),
        ("GET", "/api/me"),  # 401
        ("GET", "/static/js/app.js"),
        ("GET", "/nowhere"),  # 404
        ("BREW", "/api/health"),  # 405
    ):
        response = client.open(url, method=method)
        _has_security_headers(response)
        response.close()
    csp = HEADERS["Content-Security-Policy"]
    assert "'unsafe-inline'" not in csp and "frame-ancestors 'none'" in csp
    assert "stripe" not in csp  # Stripe.js is allowed only where Stripe takes deposits


def test_token_responses_are_not_cached(app: Flask) -> None:
    client = app.test_client()
    make_actor(app, "bettor", email="cache@example.test")
    login = client.post(
        "/api/auth/login",
        json={"email": "cache@example.test", "password": "correct horse battery"},
    )
    assert login.status_code == 200 and login.headers["Cache-Control"] == "no-store"


def test_a_long_url_is_a_414_in_the_envelope(app: Flask) -> None:
    response = app.test_client().get("/api/markets/" + "9" * 5000)
    assert response.status_code == 414
    assert response.get_json()["error"]["code"] == "uri_too_long"
    _has_security_headers(response)


@pytest.fixture
def keeping(base_config: dict[str, Any], database_url: str) -> Iterator[Flask]:
    app = create_app({**base_config, "database_url": database_url, "keep_uploads": True})
    try:
        yield app
    finally:
        app.extensions["streambet"].close()


def test_a_kept_upload_is_served_as_video_whatever_its_name(
    keeping: Flask, tiny_clip: bytes
) -> None:
    owner = make_actor(keeping, "operator")
    response = keeping.test_client().post(
        "/api/analyze",
        data={"file": (io.BytesIO(tiny_clip), "page.html")},
        content_type="multipart/form-data",
        headers=owner.headers,
    )
    assert response.status_code == 202, response.get_json()
    job = response.get_json()["job_id"]
    video = keeping.test_client().get(f"/api/analyses/{job}/video", headers=owner.headers)
    assert video.status_code == 200
    assert video.mimetype.startswith("video/"), video.mimetype
    assert video.headers["X-Content-Type-Options"] == "nosniff"
    video.close()


def test_invented_methods_do_not_grow_the_metric_labels(app: Flask) -> None:
    client = app.test_client()
    for i in range(50):
        client.open("/api/health", method=f"X{i}")
        client.get(f"/no/such/path/{i}")
    text = client.get("/metrics").get_data(as_text=True)
    lines = [line for line in text.splitlines() if line.startswith("streambet_http_requests")]
    assert not any('method="X' in line for line in lines)
    assert any('method="OTHER"' in line for line in lines)
    assert not any("/no/such/path" in line for line in lines)
    assert any('endpoint="unmatched"' in line for line in lines)


def _prod(base_config: dict[str, Any], database_url: str, **extra: Any) -> Flask:
    return create_app(
        {
            **base_config,
            "database_url": database_url,
            "env": "production",
            "secret_key": "a-private-test-secret-of-enough-length",
            **extra,
        }
    )


def test_metrics_in_production_only_for_the_configured_scraper(
    base_config: dict[str, Any], database_url: str
) -> None:
    closed = _prod(base_config, database_url)
    try:
        assert closed.test_client().get("/metrics").status_code == 404
    finally:
        closed.extensions["streambet"].close()
    scraped = _prod(
        base_config, database_url, metrics_token="scrape-me", metrics_allow="10.1.0.0/16"
    )
    try:
        client = scraped.test_client()
        refused = client.get("/metrics")
        assert refused.status_code == 403 and refused.get_json()["error"]["code"] == "forbidden"
        wrong = client.get("/metrics", headers={"Authorization": "Bearer nope"})
        assert wrong.status_code == 403
        ok = client.get("/metrics", headers={"Authorization": "Bearer scrape-me"})
        assert ok.status_code == 200 and b"streambet_http_requests" in ok.data
        by_address = client.get("/metrics", environ_base={"REMOTE_ADDR": "10.1.2.3"})
        assert by_address.status_code == 200
        elsewhere = client.get("/metrics", environ_base={"REMOTE_ADDR": "10.2.0.1"})
        assert elsewhere.status_code == 403
    finally:
        scraped.extensions["streambet"].close()
