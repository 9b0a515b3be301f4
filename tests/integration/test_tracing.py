"""OpenTelemetry spans (streambet/tracing.py) with the SDK's in-memory exporter: the load
balancer's request id becomes the trace id, and the web request, the enqueue and the job's
run (on the real queue, here the in-process one) are one trace."""

from __future__ import annotations

import io
import json
import uuid
from collections.abc import Iterator

import pytest
from flask import Flask
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind

from streambet import tracing
from tests.support.api import make_actor


@pytest.fixture
def spans() -> Iterator[InMemorySpanExporter]:
    exporter = InMemorySpanExporter()
    tracing.configure("streambet-test", exporter=exporter)
    yield exporter
    tracing.shutdown()


def _by_name(finished: tuple[ReadableSpan, ...], name: str) -> ReadableSpan:
    (found,) = [s for s in finished if s.name == name]
    return found


def test_request_queue_and_job_are_one_trace_named_by_the_request_id(
    app: Flask, spans: InMemorySpanExporter, tiny_clip: bytes
) -> None:
    operator = make_actor(app, "operator")
    request_id = str(uuid.uuid4())  # as HAProxy's uuid() sets it
    spans.clear()
    response = app.test_client().post(
        "/api/analyze",
        data={"options": json.dumps({}), "file": (io.BytesIO(tiny_clip), "clip.mp4")},
        content_type="multipart/form-data",
        headers={**operator.headers, "X-Request-ID": request_id},
    )
    assert response.status_code == 202, response.get_json()
    assert response.headers["X-Request-ID"] == request_id
    finished = spans.get_finished_spans()
    web = _by_name(finished, "POST /api/analyze")
    enqueue = _by_name(finished, "enqueue run_analysis")
    run = _by_name(finished, "job run_analysis")
    trace_id = uuid.UUID(request_id).int
    assert {s.context.trace_id for s in (web, enqueue, run)} == {trace_id}
    assert web.kind is SpanKind.SERVER and web.attributes is not None
    assert web.attributes["http.response.status_code"] == 202
    assert web.attributes[tracing.REQUEST_ID] == request_id
    assert enqueue.parent is not None and enqueue.parent.span_id == web.context.span_id
    assert run.kind is SpanKind.CONSUMER and run.attributes is not None
    assert run.attributes["streambet.job"] == response.get_json()["job_id"]
    # the worker's run hangs from the request (through the in-process queue, the enqueue;
    # on another machine, the request id's remote parent, like the web span's)
    assert run.parent is not None and run.parent.trace_id == trace_id


def test_a_request_id_that_is_no_uuid_still_names_one_trace(
    app: Flask, spans: InMemorySpanExporter
) -> None:
    for _ in range(2):
        response = app.test_client().get("/api/health", headers={"X-Request-ID": "lb-17.a"})
        assert response.status_code == 200
    health = [s for s in spans.get_finished_spans() if s.name == "GET /api/health"]
    assert len(health) == 2
    assert (
        health[0].context.trace_id == health[1].context.trace_id == tracing.trace_id_of("lb-17.a")
    )
    assert health[0].context.span_id != health[1].context.span_id


def test_without_configuration_nothing_is_recorded(app: Flask) -> None:
    tracing.shutdown()
    exporter = InMemorySpanExporter()  # not given to tracing: must stay empty
    assert app.test_client().get("/api/health").status_code == 200
    assert exporter.get_finished_spans() == ()
    with tracing.span("anything", "id") as span:
        assert not span.is_recording()
