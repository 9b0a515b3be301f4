from __future__ import annotations

from flask.testing import FlaskClient


def test_health_reports_the_database(client: FlaskClient) -> None:
    response = client.get("/api/health")
    assert response.status_code == 200
    body = response.get_json()
    assert body["status"] == "healthy"
    assert body["checks"]["database"] == {"status": "ok", "backend": "sqlite"}


def test_liveness_answers_without_asking_the_dependencies(client: FlaskClient) -> None:
    """The load balancer's check (tests/cluster/test_faults.py stops PostgreSQL under it)."""
    response = client.get("/api/health/live")
    assert response.status_code == 200
    assert response.get_json() == {"status": "alive", "service": "streambet"}


def test_index_serves_the_app(client: FlaskClient) -> None:
    with client.get("/") as response:
        assert response.status_code == 200
        assert b"StreamBet" in response.data
