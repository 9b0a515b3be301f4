"""One WebSocket per page at /api/ws: relays the event bus to the browser.

Market odds and status are public, so every socket gets them. Analysis progress belongs to
whoever uploaded the clip: once the page has sent `{"type": "auth", "token": "<bearer>"}`,
its socket gets the progress of that user's own analyses (an admin's: everyone's). Each
message to the page is `{"topic": ..., "payload": {...}}`; the first is `{"topic": "hello"}`,
sent once the bus subscription exists, so the page knows that from then on nothing is
missed and can refresh once to catch up with what happened before. Each auth message is
answered with `{"topic": "auth", "payload": {"user_id", "role"}}` (empty: anonymous).
A socket holds one server thread for its lifetime (gthread), so the thread count bounds
the open pages: `streambet serve` gives each worker 64 (server.DEFAULT_THREADS).
"""

from __future__ import annotations

import json
from typing import Any

from flask import Blueprint
from flask_sock import Sock

from streambet.api.openapi import documented
from streambet.api.validation import loads
from streambet.domain.accounts import Principal, Role
from streambet.domain.errors import Unauthenticated
from streambet.services import accounts
from streambet.wiring import wiring

PUBLIC_TOPICS = ("market.odds", "market.status")
PRIVATE_TOPICS = ("analysis.progress",)
WAIT_SECONDS = 0.5  # how long one loop waits for an event before checking the socket
MAX_MESSAGE = 4096

bp = Blueprint("ws", __name__)
sock = Sock()


class _Viewer:
    """Who the page says it is; anonymous until a valid token arrives."""

    def __init__(self) -> None:
        self.principal: Principal | None = None

    def hear(self, message: object) -> bool:
        """Handles a message from the page: True for an auth message (the viewer is now
        whoever its token says, or anonymous); anything else is ignored."""
        if not isinstance(message, str) or len(message) > MAX_MESSAGE:
            return False
        try:
            data: Any = loads(message)  # depth-limited: `[[[[...` is ignored, not a crash
        except ValueError:
            return False
        if not isinstance(data, dict) or data.get("type") != "auth":
            return False
        token = data.get("token")
        self.principal = None
        if isinstance(token, str) and token:
            try:
                with wiring().read_connection() as conn:
                    self.principal = accounts.authenticate(conn, token)
            except Unauthenticated:  # an unknown, revoked or expired token: anonymous
                pass
        return True

    def may_see(self, topic: str, payload: dict[str, Any]) -> bool:
        if topic not in PRIVATE_TOPICS:
            return True
        p = self.principal
        return p is not None and (p.role == Role.ADMIN or payload.get("user_id") == p.user_id)


@sock.route("/api/ws", bp=bp)  # type: ignore[untyped-decorator]
@documented(
    "Live updates: analysis progress, market odds and status (WebSocket upgrade)",
    tags=("live",),
    responses={101: None, 400: None},
)
def live_updates(ws: Any) -> None:
    viewer = _Viewer()
    with wiring().events.subscribe(*PUBLIC_TOPICS, *PRIVATE_TOPICS) as subscription:
        ws.send(json.dumps({"topic": "hello", "payload": {}}))
        while True:
            # receive() raises ConnectionClosed when the page goes away, ending the loop.
            message = ws.receive(timeout=0)
            while message is not None:
                if viewer.hear(message):  # acknowledged, so the page knows where it stands
                    who = viewer.principal
                    ack = {"user_id": who.user_id, "role": who.role} if who else {}
                    ws.send(json.dumps({"topic": "auth", "payload": ack}))
                message = ws.receive(timeout=0)
            event = subscription.get(timeout=WAIT_SECONDS)
            if event is not None and viewer.may_see(event.topic, event.payload):
                ws.send(json.dumps({"topic": event.topic, "payload": event.payload}))
