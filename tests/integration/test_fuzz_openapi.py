"""A bounded fuzz pass over every operation of the OpenAPI document, on SQLite and
PostgreSQL: hostile path, query and body values (deep nesting, numbers past 64 bits and
past floats, NUL, wrong types, huge strings) must each get an answer below 500, and every
4xx must be the JSON error envelope.

The generator walks the document itself (so a new route is fuzzed without being listed):
each path parameter gets hostile values with valid others, each query parameter and each
body property gets every hostile value in turn on top of a valid-looking body, and whole
bodies are replaced by hostile JSON. Calls go out as an admin (past every role check, so
the parsing behind it runs) and anonymously. About 1,300 requests per database."""

from __future__ import annotations

import io
import json
import re
from typing import Any

from flask import Flask

from tests.support.api import make_actor
from tests.support.betting import fund

DEEP = "[" * 5000 + "]" * 5000
HOSTILE_VALUES: list[Any] = [
    10**30,
    -(10**30),
    2**63,
    -1,
    1e308,
    0.5,
    "\x00",
    "a\x00b",
    "x" * 100_000,
    [],
    {"nested": {"nested": {"nested": [1, 2, {"x": None}]}}},
    None,
    True,
    "",
]
HOSTILE_BODIES: list[str] = [
    DEEP,
    "{" + '"a":' * 3000 + "1" + "}" * 3000,
    "[]",
    '"just a string"',
    "123456789012345678901234567890",
    "null",
    "{",
    '{"a": NaN}',
    "\x00",
    json.dumps({"x": "y" * 300_000}),
]
HOSTILE_PATH = ["99999999999999999999", "0", "-1", "%00", "x" * 300, "1e5", "%2e%2e"]
HOSTILE_QUERY = ["99999999999999999999", "-1", "%00", "x" * 3000, "[]", "true"]
_PARAM = re.compile(r"{([^}]+)}")


def _resolve(doc: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = doc["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    return schema


def _plausible(doc: dict[str, Any], schema: dict[str, Any]) -> Any:
    """A value of roughly the right shape, for the fields not under attack."""
    schema = _resolve(doc, schema)
    if "anyOf" in schema:
        return _plausible(doc, schema["anyOf"][0])
    if "enum" in schema:
        return schema["enum"][0]
    kind = schema.get("type")
    if kind == "integer":
        return 1
    if kind == "number":
        return 1.5
    if kind == "boolean":
        return False
    if kind == "array":
        return [_plausible(doc, schema.get("items", {}))]
    if kind == "object":
        return {
            name: _plausible(doc, prop)
            for name, prop in schema.get("properties", {}).items()
            if name in schema.get("required", ()) or len(schema.get("properties", {})) < 8
        }
    return "text"


def _check(response: Any, what: str) -> None:
    assert response.status_code < 500, (what, response.status_code, response.get_data()[:300])
    if response.status_code >= 400 and response.status_code != 405:
        assert response.mimetype == "application/json", (what, response.mimetype)
        body = response.get_json()
        assert set(body) == {"error"}, what
        assert set(body["error"]) == {"code", "message", "details"}, what
    response.close()


def test_hostile_input_to_every_operation(any_db_app: Flask, tiny_clip: bytes) -> None:
    app = any_db_app
    admin, operator, bettor = make_actor(app, "admin"), make_actor(app, "operator"), make_actor(app)
    fund(app, bettor.user_id, 10_000)
    client = app.test_client()
    doc = client.get("/api/openapi.json").get_json()
    market = client.post(
        "/api/markets",
        json={"question": "Q?", "criteria": {"label": "Cat"}},
        headers=operator.headers,
    ).get_json()
    upload = client.post(
        "/api/analyze?hold=true",
        data={"file": (io.BytesIO(tiny_clip), "c.mp4")},
        content_type="multipart/form-data",
        headers=operator.headers,
    ).get_json()
    stream = client.post(
        "/api/streams",
        json={"name": "cam", "source_url": "rtsp://93.184.216.34/cam"},
        headers=operator.headers,
    ).get_json()
    valid = {
        "market_id": str(market["id"]),
        "stream_id": str(stream["id"]),
        "event_id": "1",
        "template_id": "1",
        "dispute_id": "1",
        "deposit_id": "1",
        "payout_id": "1",
        "analysis_id": upload["job_id"],
        "ms": "0",
    }
    calls = 0
    for path, operations in sorted(doc["paths"].items()):
        if path == "/api/ws":
            continue  # a WebSocket upgrade, fuzzed by its own tests
        for method, op in operations.items():
            names = _PARAM.findall(path)

            def url(
                overrides: dict[str, str],
                query: str = "",
                path: str = path,
                names: list[str] = names,
            ) -> str:
                filled = path
                for name in names:
                    filled = filled.replace("{" + name + "}", overrides.get(name, valid[name]))
                return filled + (f"?{query}" if query else "")

            def send(target: str, headers: dict[str, str], method: str = method, **kw: Any) -> None:
                nonlocal calls
                calls += 1
                response = client.open(target, method=method.upper(), headers=headers, **kw)
                _check(response, f"{method.upper()} {target[:120]} {str(kw)[:120]}")

            who = [admin.headers, {}]
            for name in names:
                for bad in HOSTILE_PATH:
                    send(url({name: bad}), admin.headers)
            for param in op.get("parameters", ()):
                if param["in"] != "query":
                    continue
                for bad in HOSTILE_QUERY:
                    send(url({}, f"{param['name']}={bad}"), admin.headers)
            content = op.get("requestBody", {}).get("content", {})
            if "application/json" in content:
                schema = _resolve(doc, content["application/json"]["schema"])
                base = _plausible(doc, schema)
                for raw in HOSTILE_BODIES:
                    for headers in who:
                        send(
                            url({}),
                            {**headers, "Content-Type": "application/json"},
                            data=raw,
                        )
                for prop in schema.get("properties", {}):
                    for bad in HOSTILE_VALUES:
                        send(url({}), admin.headers, json={**base, prop: bad})
                        send(url({}), bettor.headers, json={**base, prop: bad})
            elif "multipart/form-data" in content:
                for raw in [*HOSTILE_BODIES[:-1], "x" * 70_000]:
                    send(
                        url({}),
                        admin.headers,
                        data={"options": raw, "file": (io.BytesIO(tiny_clip), "c.mp4")},
                        content_type="multipart/form-data",
                    )
                for name in ("\x00.mp4", "a" * 5000 + ".mp4", "../../etc/passwd", ""):
                    send(
                        url({}),
                        admin.headers,
                        data={"file": (io.BytesIO(tiny_clip), name)},
                        content_type="multipart/form-data",
                    )
            else:
                for headers in who:
                    send(url({}), headers)
    assert calls > 1000
