"""Live streams (operators): /api/streams/... create, list, read, start, stop, delete, and
the latest analysed picture with its boxes and each label event's evidence frame."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify

from streambet.api.auth import principal, requires
from streambet.api.openapi import documented
from streambet.api.stream_schemas import StreamCreate, StreamList, StreamQuery, TwitchConnect
from streambet.api.validation import parse_json, parse_query
from streambet.domain.accounts import Role
from streambet.services import live_frames, streams, twitch_mirror
from streambet.services.streams import StreamRead
from streambet.services.twitch_mirror import TwitchChannelRead
from streambet.wiring import wiring

bp = Blueprint("streams", __name__)
TAGS = ("streams",)
FRAME_MAX_AGE = 3600  # an event's evidence frame never changes


@bp.post("/api/streams")
@documented(
    "Register a live stream (operator): a source URL the engine will follow once started",
    tags=TAGS,
    body=StreamCreate,
    responses={201: StreamRead, 400: None, 401: None, 403: None},
)
@requires(Role.OPERATOR)
def create_stream() -> tuple[Response, int]:
    body = parse_json(StreamCreate)
    w = wiring()
    created = streams.create_stream(
        w.uow(),
        w.source_checks,
        principal(),
        body.name,
        body.source_url,
        body.options.model_dump(exclude_none=True),
        start=body.start,
    )
    return jsonify(created.model_dump(mode="json")), 201


@bp.get("/api/streams")
@documented(
    "Your streams, newest first (an admin's: everyone's)",
    tags=TAGS,
    query=StreamQuery,
    responses={200: StreamList, 400: None, 401: None, 403: None},
)
@requires(Role.OPERATOR)
def list_streams() -> Response:
    q = parse_query(StreamQuery)
    items, total = streams.list_streams(
        wiring().read_uow(), principal(), status=q.status, limit=q.limit, offset=q.offset
    )
    return jsonify(StreamList(items=items, total=total).model_dump(mode="json"))


@bp.get("/api/streams/<id:stream_id>")
@documented(
    "A stream: status and its reason, lag, coverage and gaps, the latest label events",
    tags=TAGS,
    responses={200: StreamRead, 401: None, 403: None, 404: None},
)
@requires(Role.OPERATOR)
def get_stream(stream_id: int) -> Response:
    found = streams.get_stream(wiring().read_uow(), stream_id, principal())
    return jsonify(found.model_dump(mode="json"))


@bp.post("/api/streams/<id:stream_id>/start")
@documented(
    "Start following the stream (a worker with room takes it within seconds)",
    tags=TAGS,
    responses={200: StreamRead, 401: None, 403: None, 404: None},
)
@requires(Role.OPERATOR)
def start_stream(stream_id: int) -> Response:
    found = streams.start_stream(wiring().uow(), stream_id, principal())
    return jsonify(found.model_dump(mode="json"))


@bp.post("/api/streams/<id:stream_id>/stop")
@documented(
    "Stop following the stream (its live job ends within a second)",
    tags=TAGS,
    responses={200: StreamRead, 401: None, 403: None, 404: None},
)
@requires(Role.OPERATOR)
def stop_stream(stream_id: int) -> Response:
    found = streams.stop_stream(wiring().uow(), stream_id, principal())
    return jsonify(found.model_dump(mode="json"))


@bp.delete("/api/streams/<id:stream_id>")
@documented(
    "Delete a stopped stream with its events, detections and frames (409 while it runs)",
    tags=TAGS,
    responses={204: None, 401: None, 403: None, 404: None, 409: None},
)
@requires(Role.OPERATOR)
def delete_stream(stream_id: int) -> tuple[str, int]:
    w = wiring()
    frames = streams.delete_stream(w.uow(), stream_id, principal())
    live_frames.discard(w.storage, stream_id, frames)
    return "", 204


@bp.get("/api/streams/<id:stream_id>/frame")
@documented(
    "The latest analysed picture with its boxes drawn, as JPEG (X-Frame-Ms: its stream"
    " time); 404 until the first one",
    tags=TAGS,
    responses={200: None, 401: None, 403: None, 404: None},
)
@requires(Role.OPERATOR)
def latest_frame(stream_id: int) -> Response:
    w = wiring()
    at, jpeg = live_frames.latest(w.read_uow(), w.storage, principal(), stream_id)
    response = Response(jpeg, mimetype="image/jpeg")
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Frame-Ms"] = str(at)
    return response


@bp.get("/api/streams/<id:stream_id>/events/<id:event_id>/frame")
@documented(
    "A label event's evidence frame, with its box drawn, as JPEG",
    tags=TAGS,
    responses={200: None, 401: None, 403: None, 404: None},
)
@requires(Role.OPERATOR)
def event_frame(stream_id: int, event_id: int) -> Response:
    w = wiring()
    at, jpeg = live_frames.of_event(w.read_uow(), w.storage, principal(), stream_id, event_id)
    response = Response(jpeg, mimetype="image/jpeg")
    response.headers["Cache-Control"] = f"private, max-age={FRAME_MAX_AGE}"
    response.headers["X-Frame-Ms"] = str(at)
    return response


@bp.put("/api/streams/<id:stream_id>/twitch")
@documented(
    "Mirror the stream's live markets as Twitch Predictions (the token is stored encrypted)",
    tags=TAGS,
    body=TwitchConnect,
    responses={200: TwitchChannelRead, 400: None, 401: None, 403: None, 404: None},
)
@requires(Role.OPERATOR)
def connect_twitch(stream_id: int) -> Response:
    body = parse_json(TwitchConnect)
    w = wiring()
    done = twitch_mirror.connect_twitch(
        w.uow(), w.token_box, principal(), stream_id, body.broadcaster_id, body.access_token
    )
    return jsonify(done.model_dump(mode="json"))
