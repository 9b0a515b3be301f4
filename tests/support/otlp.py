"""A minimal OTLP/HTTP trace receiver on loopback: what a collector would get from the
nodes' exporters (protobuf ExportTraceServiceRequest bodies), kept as (service, span name,
trace id) for a test to read."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)

from tests.support.http_server import serving


@dataclass(frozen=True)
class ReceivedSpan:
    service: str
    name: str
    trace_id: int


class Receiver:
    def __init__(self) -> None:
        self.spans: list[ReceivedSpan] = []
        self._lock = threading.Lock()

    def add(self, body: bytes) -> None:
        request = ExportTraceServiceRequest.FromString(body)
        with self._lock:
            for resource_spans in request.resource_spans:
                service = next(
                    (
                        a.value.string_value
                        for a in resource_spans.resource.attributes
                        if a.key == "service.name"
                    ),
                    "",
                )
                for scope in resource_spans.scope_spans:
                    for span in scope.spans:
                        trace_id = int.from_bytes(span.trace_id, "big")
                        self.spans.append(ReceivedSpan(service, span.name, trace_id))

    def of_trace(self, trace_id: int) -> set[tuple[str, str]]:
        with self._lock:
            return {(s.service, s.name) for s in self.spans if s.trace_id == trace_id}


@contextmanager
def receiving() -> Iterator[tuple[Receiver, str]]:
    """A receiver and its endpoint URL (for STREAMBET_OTLP_ENDPOINT)."""
    receiver = Receiver()

    class _Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            receiver.add(body)
            answer = ExportTraceServiceResponse().SerializeToString()
            self.send_response(200)
            self.send_header("Content-Type", "application/x-protobuf")
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

        def log_message(self, format: str, *args: object) -> None:
            """Quiet."""

    with serving(_Handler) as server:
        yield receiver, f"http://127.0.0.1:{server.server_port}/v1/traces"
