"""One WebSocket per page at /api/ws: relays the event bus to the browser.

Market odds and status are public, so every socket gets them. Analysis progress belongs to
the people who run analyses: a socket gets it once the page has sent
`{"type": "auth", "token": "<bearer token>"}` for an operator or admin. Each message to the
page is `{"topic": ..., "payload": {...}}`. A socket holds one server thread for its
lifetime (gthread), so the server's thread count bounds the open pages per worker.
"""

from __future__ import annotations

import json
from typing import Any

from flask import Blueprint
from flask_sock import Sock

from streambet.api.auth import RANK
from streambet.api.openapi import documented
from streambet.domain.accounts import Role
from streambet.domain.errors import Unauthenticated
from streambet.services import accounts
from streambet.wiring import wiring

PUBLIC_TOPICS = ("market.odds", "market.status")
PRIVATE_TOPICS = ("analysis.progress",)
WAIT_SECONDS = 0.5  # how long one loop waits for an event before checking the socket
MAX_MESSAGE = 4096

bp = Blueprint("ws", __name__)
sock = Sock()


def _may_see_progress(message: str) -> bool | None:
    """True/False for an auth message (operator or admin token or not); None otherwise."""
    try:
        data: Any = json.loads(message)
    except ValueError:
        return None
    if not isinstance(data, dict) or data.get("type") != "auth":
        return None
    token = data.get("token")
    if not isinstance(token, str) or not token:
        return False
    try:
        with wiring().read_uow() as uow:
            principal = accounts.authenticate(uow, token)
    except Unauthenticated:  # an unknown, revoked or expired token just stays anonymous
        return False
    return RANK[principal.role] >= RANK[Role.OPERATOR]


@sock.route("/api/ws", bp=bp)  # type: ignore[untyped-decorator]
@documented(
    "Live updates: analysis progress, market odds and status (WebSocket upgrade)",
    tags=("live",),
    responses={101: None, 400: None},
)
def live_updates(ws: Any) -> None:
    privileged = False
    with wiring().events.subscribe(*PUBLIC_TOPICS, *PRIVATE_TOPICS) as subscription:
        while True:
            # receive() raises ConnectionClosed when the page goes away, ending the loop.
            message = ws.receive(timeout=0)
            while message is not None:
                if isinstance(message, str) and len(message) <= MAX_MESSAGE:
                    verdict = _may_see_progress(message)
                    if verdict is not None:
                        privileged = verdict
                message = ws.receive(timeout=0)
            event = subscription.get(timeout=WAIT_SECONDS)
            if event is None or (event.topic in PRIVATE_TOPICS and not privileged):
                continue
            ws.send(json.dumps({"topic": event.topic, "payload": event.payload}))
