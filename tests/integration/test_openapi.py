"""The generated OpenAPI 3.1 document covers every route, and schemathesis, driving the
app through WSGI from that document, finds no server error."""

from __future__ import annotations

from typing import Any

import schemathesis
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings

from streambet.api.openapi_doc import _PARAM


def test_document_covers_every_route(client: FlaskClient, app: Flask) -> None:
    doc = client.get("/api/openapi.json").get_json()
    assert doc["openapi"] == "3.1.0"
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        path = _PARAM.sub(r"{\1}", rule.rule)
        for method in (rule.methods or set()) - {"HEAD", "OPTIONS"}:
            assert method.lower() in doc["paths"][path], (method, path)
    analyze = doc["paths"]["/api/analyze"]["post"]
    assert "multipart/form-data" in analyze["requestBody"]["content"]
    assert analyze["responses"]["202"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/JobAcceptedRead"
    }
    assert "AnalysisResource" in doc["components"]["schemas"]
    formats = {
        p["name"]: p for p in doc["paths"]["/api/analyses/{analysis_id}"]["get"]["parameters"]
    }
    assert formats["format"]["schema"]["enum"] == [
        "seed",
        "rekognition",
        "segments",
        "timeline",
        "agreement",
    ]


def test_no_server_errors(app: Flask) -> None:
    """Driven by hand rather than through schemathesis' pytest plugin, which does not
    support this pytest yet; the generation and the calls are schemathesis' own."""
    api = schemathesis.openapi.from_wsgi("/api/openapi.json", app)
    # GET / streams a static file, which schemathesis' WSGI transport never closes.
    operations = [r.ok() for r in api.get_all_operations() if r.ok().path != "/"]
    assert len(operations) >= 8
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=12,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def check(case: Any) -> None:
            response = case.call()
            assert response.status_code < 500, (case.method, case.path, response.text[:500])
            if response.status_code >= 400 and response.status_code != 405:
                error = response.json()["error"]
                assert set(error) == {"code", "message", "details"}

        check()
