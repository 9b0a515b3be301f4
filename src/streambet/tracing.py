"""OpenTelemetry spans, one trace per request id.

The load balancer gives every request an X-Request-ID (HAProxy: a UUID), the web node
keeps it (logs.new_request_id), and a queued job carries it to the worker
(adapters/queue.py). A span's trace id is that id's 128 bits (a UUID's own; any other id
hashed), so the web node's request span, the enqueue and the worker's run of the job are
one trace without a trace header travelling with the job, and a trace is found by the
request id a client or the load balancer logged.

Off unless configured: `configure` with an OTLP/HTTP endpoint (STREAMBET_OTLP_ENDPOINT) or
an exporter (the tests' in-memory one); until then spans are no-ops.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager

from opentelemetry import trace
from opentelemetry.context import Context
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import (
    BatchSpanProcessor,
    SimpleSpanProcessor,
    SpanExporter,
)
from opentelemetry.trace import NonRecordingSpan, Span, SpanContext, SpanKind, TraceFlags
from opentelemetry.util.types import AttributeValue

REQUEST_ID = "streambet.request_id"
_tracer: trace.Tracer = trace.NoOpTracer()
_provider: TracerProvider | None = None


def configure(
    service: str, endpoint: str = "", exporter: SpanExporter | None = None
) -> TracerProvider | None:
    """Spans of this process from now on, named `service`, exported over OTLP/HTTP to
    `endpoint` (batched) and/or to `exporter` (as they end). Neither: tracing stays off."""
    global _tracer, _provider
    shutdown()
    if not endpoint and exporter is None:
        return None
    provider = TracerProvider(resource=Resource.create({"service.name": service}))
    if endpoint:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(endpoint=endpoint)))
    if exporter is not None:
        provider.add_span_processor(SimpleSpanProcessor(exporter))
    _provider, _tracer = provider, provider.get_tracer("streambet")
    return provider


def shutdown() -> None:
    """Flushes and stops the exporters (a process stopping, or a reconfiguration)."""
    global _tracer, _provider
    if _provider is not None:
        _provider.shutdown()  # type: ignore[no-untyped-call]
    _provider, _tracer = None, trace.NoOpTracer()


def trace_id_of(request_id: str) -> int:
    try:
        value = uuid.UUID(request_id).int
    except ValueError:
        value = int.from_bytes(hashlib.sha256(request_id.encode()).digest()[:16], "big")
    return value or 1  # zero is the invalid trace id


def parent_of(request_id: str) -> Context:
    """The remote parent every span of `request_id` without a local parent hangs from."""
    span_id = int.from_bytes(hashlib.sha256(b"lb:" + request_id.encode()).digest()[:8], "big")
    remote = SpanContext(
        trace_id=trace_id_of(request_id),
        span_id=span_id or 1,
        is_remote=True,
        trace_flags=TraceFlags(TraceFlags.SAMPLED),
    )
    return trace.set_span_in_context(NonRecordingSpan(remote))


def start(
    name: str, request_id: str, kind: SpanKind, attributes: Mapping[str, AttributeValue]
) -> Span:
    """A span the caller ends (the web request's, across Flask's hooks)."""
    return _tracer.start_span(
        name,
        context=parent_of(request_id),
        kind=kind,
        attributes={REQUEST_ID: request_id, **attributes},
    )


@contextmanager
def span(
    name: str,
    request_id: str = "",
    kind: SpanKind = SpanKind.INTERNAL,
    attributes: Mapping[str, AttributeValue] | None = None,
) -> Iterator[Span]:
    """A span around a block: the child of the current span, or with a `request_id` and
    no current span, the first span of that request id's trace in this process."""
    current = trace.get_current_span().get_span_context()
    context = parent_of(request_id) if request_id and not current.is_valid else None
    attrs = {**(attributes or {}), **({REQUEST_ID: request_id} if request_id else {})}
    with _tracer.start_as_current_span(name, context=context, kind=kind, attributes=attrs) as s:
        yield s
