"""Request ids (X-Request-ID in and out, on every log line), request metrics, /metrics."""

from __future__ import annotations

import hmac
import ipaddress
import logging
import time

from flask import Blueprint, Flask, Response, g, request
from opentelemetry import context, trace
from opentelemetry.trace import SpanKind

from streambet import tracing
from streambet.api.auth import bearer_token
from streambet.api.openapi import documented
from streambet.config import Settings
from streambet.domain.errors import NotFound, PermissionDenied
from streambet.logs import new_request_id, request_id_var
from streambet.wiring import wiring

log = logging.getLogger("streambet.http")
bp = Blueprint("observability", __name__)


def install(app: Flask) -> None:
    @app.before_request
    def _start() -> None:
        g.request_id = new_request_id(request.headers.get("X-Request-ID"))
        g.request_token = request_id_var.set(g.request_id)
        g.request_started = time.perf_counter()
        # The request's span, in the trace of its request id (streambet/tracing.py); what
        # the request does (queuing a job) nests under it.
        rule = request.url_rule.rule if request.url_rule else "unmatched"
        span = tracing.start(
            f"{request.method} {rule}",
            g.request_id,
            SpanKind.SERVER,
            {"http.request.method": request.method, "http.route": rule},
        )
        g.request_span = span
        g.span_token = context.attach(trace.set_span_in_context(span))

    @app.after_request
    def _finish(response: Response) -> Response:
        started = g.pop("request_started", None)
        if started is not None:
            seconds = time.perf_counter() - started
            # The route pattern, not the path, so ids do not explode the label set.
            endpoint = request.url_rule.rule if request.url_rule else "unmatched"
            wiring().metrics.observe_request(
                endpoint, request.method, response.status_code, seconds
            )
            log.info(
                "request",
                extra={
                    "method": request.method,
                    "path": request.path,
                    "status": response.status_code,
                    "ms": round(seconds * 1000, 1),
                },
            )
        if "request_id" in g:
            response.headers["X-Request-ID"] = g.request_id
        span = g.get("request_span")
        if span is not None:
            span.set_attribute("http.response.status_code", response.status_code)
        return response

    @app.teardown_request
    def _reset(_exc: BaseException | None) -> None:
        span_token = g.pop("span_token", None)
        if span_token is not None:
            context.detach(span_token)
        span = g.pop("request_span", None)
        if span is not None:
            span.end()
        token = g.pop("request_token", None)
        if token is not None:
            request_id_var.reset(token)


def _scraper_allowed(settings: Settings) -> None:
    """In production /metrics answers only a configured scraper: a 404 when none is
    configured (it does not exist for anyone else), a 403 to a caller that is not it."""
    if not settings.is_production:
        return
    token, allow = settings.metrics_token, settings.metrics_allow
    if not token and not allow:
        raise NotFound("Not found.")
    if token:
        sent = bearer_token() or ""
        if hmac.compare_digest(sent.encode(), token.encode()):
            return
    if allow and request.remote_addr:
        try:
            address = ipaddress.ip_address(request.remote_addr)
        except ValueError:
            address = None
        networks = [
            ipaddress.ip_network(e.strip(), strict=False) for e in allow.split(",") if e.strip()
        ]
        if address is not None and any(address in n for n in networks):
            return
    raise PermissionDenied("Only the configured scraper may read the metrics.")


@bp.get("/metrics")
@documented(
    "Prometheus metrics (in production only for the scraper that STREAMBET_METRICS_TOKEN"
    " or STREAMBET_METRICS_ALLOW names)",
    tags=("service",),
    responses={200: None, 403: None, 404: None},
)
def metrics() -> Response:
    _scraper_allowed(wiring().settings)
    return Response(
        wiring().metrics.render(), mimetype="text/plain", content_type="text/plain; version=0.0.4"
    )
