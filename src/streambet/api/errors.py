"""The one JSON error envelope: {"error": {"code", "message", "details"}}. Never a traceback."""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, Response, jsonify
from redis.exceptions import ConnectionError as RedisConnectionError
from sqlalchemy.exc import DBAPIError, OperationalError
from werkzeug.exceptions import HTTPException

from streambet.domain import errors as e
from streambet.domain.throttle import TooManyRequests

log = logging.getLogger(__name__)
RETRY_SECONDS = 2  # a restarting database or Redis is usually back within seconds

STATUS: dict[type[e.StreamBetError], int] = {
    e.ValidationFailed: 400,
    e.Unauthenticated: 401,
    e.PermissionDenied: 403,
    e.NotFound: 404,
    e.InsufficientFunds: 409,
    e.Conflict: 409,
    e.PayloadTooLarge: 413,
    e.UnsupportedMedia: 415,
    TooManyRequests: 429,
    e.Unavailable: 503,
}


def status_for(error: e.StreamBetError) -> int:
    for kind in type(error).__mro__:
        if kind in STATUS:
            return STATUS[kind]
    return 400


def error_response(status: int, code: str, message: str, details: Any = None) -> Response:
    response = jsonify({"error": {"code": code, "message": message, "details": details}})
    response.status_code = status
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="streambet"'
    return response


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(e.StreamBetError)
    def _domain(error: e.StreamBetError) -> Response:
        response = error_response(status_for(error), error.code, error.message, error.details)
        if isinstance(error, TooManyRequests):
            response.headers["Retry-After"] = str(error.retry_after)
        return response

    @app.errorhandler(HTTPException)
    def _http(error: HTTPException) -> Response:
        status = error.code or 500
        code = (error.name or "error").lower().replace(" ", "_")
        response = error_response(status, code, error.description or error.name)
        if status == 405 and error.get_response().headers.get("Allow"):
            response.headers["Allow"] = error.get_response().headers["Allow"]
        return response

    @app.errorhandler(DBAPIError)
    def _database(error: DBAPIError) -> Response:
        # The database unreachable or restarting (or SQLite locked past its wait) is
        # retryable: 503 at once with Retry-After; the pool drops its dead connections on
        # this failure and connects anew once the database is back. Any other database
        # error is a bug: 500.
        if not (isinstance(error, OperationalError) or error.connection_invalidated):
            return _unexpected(error)
        log.warning("database unavailable", extra={"error": type(error.orig).__name__})
        response = error_response(
            503, "database_unavailable", "The database is unavailable; try again shortly."
        )
        response.headers["Retry-After"] = str(RETRY_SECONDS)
        return response

    @app.errorhandler(RedisConnectionError)
    def _queue(error: RedisConnectionError) -> Response:
        # Redis (the queue, the event bus) restarting: retryable, and a job already
        # recorded is queued again by the workers' sweep once it is back.
        log.warning("redis unavailable", extra={"error": str(error)})
        response = error_response(
            503, "queue_unavailable", "The job queue is unavailable; try again shortly."
        )
        response.headers["Retry-After"] = str(RETRY_SECONDS)
        return response

    @app.errorhandler(Exception)
    def _unexpected(error: Exception) -> Response:
        log.exception("unhandled error")
        return error_response(500, "internal_error", "Something went wrong on our side.")
