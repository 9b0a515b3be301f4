from __future__ import annotations

from flask.testing import FlaskClient


def test_health_reports_the_database(client: FlaskClient) -> None:
    response = client.get("/api/health")
    assert response.status_code == 200
    body = response.get_json()
    assert body["status"] == "healthy"
    assert body["checks"]["database"] == {"status": "ok", "backend": "sqlite"}


def test_index_serves_the_app(client: FlaskClient) -> None:
    with client.get("/") as response:
        assert response.status_code == 200
        assert b"StreamBet" in response.data
