"""One WebSocket per page at /api/ws: relays the event bus to the browser.

Market odds and status are public, so every socket gets them. Analysis progress belongs to
whoever uploaded the clip: once the page has sent `{"type": "auth", "token": "<bearer>"}`,
its socket gets the progress of that user's own analyses (an admin's: everyone's). A
deposit's or withdrawal's status (`payment.status`) reaches its owner only. Each
message to the page is `{"topic": ..., "payload": {...}}`; the first is `{"topic": "hello"}`,
sent once the bus subscription exists, so the page knows that from then on nothing is
missed and can refresh once to catch up with what happened before. Each auth message is
answered with `{"topic": "auth", "payload": {"user_id", "role"}}` (empty: anonymous).
A client that can send headers may instead authenticate the upgrade itself with
`Authorization: Bearer <token>` (an invalid one is refused with 401).

This view only checks the handshake and the caps (streambet/api/sockets/admission.py; refusals are
503 or 429 in the error envelope, with Retry-After) and answers 101; the connection then
belongs to the worker's hub (streambet/api/sockets/hub.py), so an open page holds no request
thread. Odds are snapshots of a market's pools: a page may get only the latest of several
that came within half a second.
"""

from __future__ import annotations

import json
import logging
import threading
from typing import Any

from flask import Blueprint, Flask, Response, current_app, request

from streambet.api.auth import bearer_token
from streambet.api.errors import error_response
from streambet.api.openapi import documented
from streambet.api.sockets.admission import Admission, Limits, Refusal, descriptor_budget
from streambet.api.sockets.handoff import BadHandshake, HandOff, accept_key, server_socket
from streambet.api.sockets.hub import Hub, HubOptions
from streambet.api.validation import loads
from streambet.domain.accounts import Principal, Role
from streambet.domain.errors import Unauthenticated
from streambet.services import accounts
from streambet.services.events import ODDS
from streambet.wiring import Wiring, wiring

PUBLIC_TOPICS = ("market.odds", "market.status")
# A stream's status, pictures and labels reach its operator and admins (part 2 decides
# when bettors may see a stream's evidence: after its markets lock).
PRIVATE_TOPICS = (
    "analysis.progress",
    "payment.status",
    "stream.status",
    "stream.labels",
    "stream.frame",
    "wager.held",
)
OWNER_ONLY = frozenset(
    {"payment.status", "wager.held"}
)  # money news: not even an admin sees another's
MAX_MESSAGE = 4096
HELLO = json.dumps({"topic": "hello", "payload": {}})
EXTENSION = "streambet.ws"

bp = Blueprint("ws", __name__)
log = logging.getLogger(__name__)
_hub_lock = threading.Lock()


class _Viewer:
    """Who the page says it is; anonymous until a valid token arrives."""

    def __init__(self, w: Wiring, principal: Principal | None = None) -> None:
        self._wiring = w
        self.principal = principal

    @property
    def authenticated(self) -> bool:
        return self.principal is not None

    def hear(self, message: str) -> str | None:
        """Handles a message from the page: an auth message makes the viewer whoever its
        token says (or anonymous) and is acknowledged; anything else is ignored."""
        try:
            data: Any = loads(message)  # depth-limited: `[[[[...` is ignored, not a crash
        except ValueError:
            return None
        if not isinstance(data, dict) or data.get("type") != "auth":
            return None
        token = data.get("token")
        self.principal = None
        if isinstance(token, str) and token:
            try:
                with self._wiring.read_connection() as conn:
                    self.principal = accounts.authenticate(conn, token)
            except Unauthenticated:  # an unknown, revoked or expired token: anonymous
                pass
        who = self.principal
        ack = {"user_id": who.user_id, "role": who.role} if who else {}
        return json.dumps({"topic": "auth", "payload": ack})

    def may_see(self, topic: str, payload: dict[str, Any]) -> bool:
        if topic not in PRIVATE_TOPICS:
            return True
        p = self.principal
        if p is None:
            return False
        if payload.get("user_id") == p.user_id:
            return True
        return p.role == Role.ADMIN and topic not in OWNER_ONLY


def _encode(event: Any) -> str:
    return json.dumps({"topic": event.topic, "payload": event.payload})


def hub_of(app: Flask) -> Hub:
    """The app's hub, started on the first upgrade (in the worker process, after the fork)
    and closed with the app's wiring."""
    hub = app.extensions.get(EXTENSION)
    if isinstance(hub, Hub):
        return hub
    with _hub_lock:
        hub = app.extensions.get(EXTENSION)
        if isinstance(hub, Hub):
            return hub
        w: Wiring = app.extensions["streambet"]
        s = w.settings
        total = descriptor_budget(s.ws_max_sockets)
        if total < s.ws_max_sockets:
            log.warning(
                "the file-descriptor limit allows %d WebSockets, not STREAMBET_WS_MAX_SOCKETS=%d",
                total,
                s.ws_max_sockets,
            )
        limits = Limits(total, s.ws_max_per_address, min(s.ws_max_anonymous, total))
        hub = Hub(
            lambda: w.events.subscribe(*PUBLIC_TOPICS, *PRIVATE_TOPICS),
            Admission(limits),
            HELLO,
            _encode,
            HubOptions(
                ping_seconds=s.ws_ping_seconds,
                send_buffer_bytes=s.ws_send_buffer_kb * 1024,
                max_message=MAX_MESSAGE,
                snapshot_topics={ODDS: "market_id"},
            ),
        )
        try:
            hub.start()
        except BaseException:
            hub.close()
            raise
        w.on_close(hub.close)
        app.extensions[EXTENSION] = hub
        return hub


def _refuse(refusal: Refusal) -> Response:
    response = error_response(
        refusal.status, refusal.code, refusal.message, {"limit": refusal.limit}
    )
    response.headers["Retry-After"] = str(refusal.retry_after)
    return response


@bp.route("/api/ws", websocket=True)  # werkzeug routes upgrades to websocket rules only
@documented(
    "Live updates: analysis progress, market odds and status, my payments (WebSocket upgrade)",
    tags=("live",),
    responses={101: None, 400: None, 401: None, 429: None, 503: None},
)
def live_updates() -> Response:
    try:
        accept = accept_key(request.environ)
    except BadHandshake as exc:
        return error_response(400, "websocket_upgrade_expected", str(exc))
    if server_socket(request.environ) is None:
        return error_response(
            400, "websocket_unsupported", "This server cannot hand a connection on."
        )
    w = wiring()
    principal = None
    token = bearer_token()
    if token is not None:
        with w.read_connection() as conn:
            principal = accounts.authenticate(conn, token)  # 401 if not valid
    try:
        hub = hub_of(current_app)
    except Exception:
        log.exception("live updates: could not subscribe to the event bus")
        hub = None
    if hub is None or not hub.available:
        return _refuse(Refusal(503, "live_updates_unavailable", "Live updates are down.", 0))
    admitted = hub.admission.admit(request.remote_addr or "", authenticated=bool(principal))
    if isinstance(admitted, Refusal):
        return _refuse(admitted)
    viewer = _Viewer(w, principal)
    ticket = admitted
    return HandOff(accept, lambda sock: hub.adopt(sock, viewer, ticket), ticket.release)
