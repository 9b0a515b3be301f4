"""Live markets: markets on a window of a stream, in-play wagers held for their bet delay,
evidence frames once settled, and recurring templates."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify, request

from streambet.api.auth import principal, requires
from streambet.api.live_market_schemas import (
    HeldWagerCreate,
    HeldWagerList,
    LiveMarketCreate,
    LiveMarketList,
    TemplateCreate,
    TemplateList,
)
from streambet.api.openapi import documented
from streambet.api.validation import parse_json
from streambet.domain.accounts import Role
from streambet.services import bet_delay, live_markets, market_templates
from streambet.services.bet_delay import HeldWagerRead
from streambet.services.live_markets import LiveMarketRead
from streambet.services.market_templates import TemplateRead
from streambet.wiring import wiring

bp = Blueprint("live_markets", __name__)
TAGS = ("live markets",)
FRAME_MAX_AGE = 3600


@bp.post("/api/streams/<id:stream_id>/markets")
@documented(
    "Open a market on a window of your stream's clock (operator), settled by its label events",
    tags=TAGS,
    body=LiveMarketCreate,
    responses={201: LiveMarketRead, 400: None, 401: None, 403: None, 404: None},
)
@requires(Role.OPERATOR)
def create_live_market(stream_id: int) -> tuple[Response, int]:
    body = parse_json(LiveMarketCreate)
    w = wiring()
    made = live_markets.create_live_market(
        w.uow(),
        w.vocabulary,
        principal(),
        stream_id,
        body.question,
        body.drafts(),
        body.terms(round(w.settings.live_bet_delay_seconds * 1000)),
        takeout_bp=body.takeout_bp,
        min_stake=body.min_stake,
        max_stake=body.max_stake,
    )
    return jsonify(made.model_dump(mode="json")), 201


@bp.get("/api/streams/<id:stream_id>/markets")
@documented(
    "A stream's markets whose window ended within the hour or is still to come, soonest"
    " first (the evidence of each is sealed until it settles)",
    tags=TAGS,
    responses={200: LiveMarketList, 401: None, 404: None},
)
@requires(Role.BETTOR)
def list_live_markets(stream_id: int) -> Response:
    items = live_markets.stream_markets(wiring().read_uow(), stream_id)
    return jsonify(LiveMarketList(items=items).model_dump(mode="json"))


@bp.get("/api/live-markets")
@documented(
    "Every stream's live markets whose window ended within the hour or is still to come,"
    " soonest first",
    tags=TAGS,
    responses={200: LiveMarketList, 401: None},
)
@requires(Role.BETTOR)
def list_all_live_markets() -> Response:
    items = live_markets.stream_markets(wiring().read_uow(), None)
    return jsonify(LiveMarketList(items=items).model_dump(mode="json"))


@bp.get("/api/markets/<id:market_id>/live")
@documented(
    "A live market: the market, its window, bet delay, gap rule, the house's estimate, and"
    " (once settled) the window's evidence frames",
    tags=TAGS,
    responses={200: LiveMarketRead, 401: None, 404: None},
)
@requires(Role.BETTOR)
def get_live_market(market_id: int) -> Response:
    found = live_markets.get_live_market(wiring().read_uow(), market_id)
    return jsonify(found.model_dump(mode="json"))


@bp.get("/api/markets/<id:market_id>/live/frames/<ms:ms>")
@documented(
    "An evidence frame of a settled live market, `ms` into its window (X-Frame-Ms: its"
    " stream time); 404 while the market is open or locked",
    tags=TAGS,
    responses={200: None, 401: None, 404: None},
)
@requires(Role.BETTOR)
def live_evidence_frame(market_id: int, ms: int) -> Response:
    w = wiring()
    at, jpeg = live_markets.evidence_frame(w.read_uow(), w.storage, market_id, ms)
    response = Response(jpeg, mimetype="image/jpeg")
    response.headers["Cache-Control"] = f"private, max-age={FRAME_MAX_AGE}"
    response.headers["X-Frame-Ms"] = str(at)
    return response


@bp.post("/api/markets/<id:market_id>/held-wagers")
@documented(
    "Place a wager on an in-play market (bettors): its stake is held for the bet delay, then"
    " it becomes a wager, or is refused and refunded if a qualifying detection falls within"
    " the delay of it. Idempotency-Key makes retries safe",
    tags=TAGS,
    body=HeldWagerCreate,
    responses={202: HeldWagerRead, 400: None, 401: None, 403: None, 404: None, 409: None},
)
@requires(Role.BETTOR)
def place_held_wager(market_id: int) -> tuple[Response, int]:
    body = parse_json(HeldWagerCreate)
    held = bet_delay.place_held(
        wiring().uow(),
        principal(),
        market_id,
        body.outcome_id,
        body.stake,
        request.headers.get("Idempotency-Key"),
        now_ms=live_markets.now_ms(),
    )
    return jsonify(held.model_dump(mode="json")), 202


@bp.get("/api/markets/<id:market_id>/held-wagers")
@documented(
    "Your in-play wagers on this market and what became of them",
    tags=TAGS,
    responses={200: HeldWagerList, 401: None},
)
@requires(Role.BETTOR)
def list_held_wagers(market_id: int) -> Response:
    items = bet_delay.my_held(wiring().read_uow(), market_id, principal())
    return jsonify(HeldWagerList(items=items).model_dump(mode="json"))


@bp.post("/api/streams/<id:stream_id>/templates")
@documented(
    "A recurring market on your stream (operator): every N minutes, a market on the next"
    " M minutes opens, betting closing when its window starts",
    tags=TAGS,
    body=TemplateCreate,
    responses={201: TemplateRead, 400: None, 401: None, 403: None, 404: None},
)
@requires(Role.OPERATOR)
def create_template(stream_id: int) -> tuple[Response, int]:
    body = parse_json(TemplateCreate)
    w = wiring()
    made = market_templates.create_template(
        w.uow(),
        w.vocabulary,
        principal(),
        stream_id,
        body.question,
        body.label,
        min_confidence=body.min_confidence,
        every_ms=round(body.every_minutes * 60_000),
        window_ms=round(body.window_minutes * 60_000),
        lead_ms=round(body.lead_seconds * 1000),
        gap_rule=body.gap_rule,
        takeout_bp=body.takeout_bp,
    )
    return jsonify(made.model_dump(mode="json")), 201


@bp.get("/api/streams/<id:stream_id>/templates")
@documented(
    "Your stream's recurring market templates",
    tags=TAGS,
    responses={200: TemplateList, 401: None, 403: None, 404: None},
)
@requires(Role.OPERATOR)
def list_templates(stream_id: int) -> Response:
    items = market_templates.list_templates(wiring().read_uow(), stream_id, principal())
    return jsonify(TemplateList(items=items).model_dump(mode="json"))


@bp.post("/api/templates/<id:template_id>/stop")
@documented(
    "Stop a recurring template (its open markets run their course)",
    tags=TAGS,
    responses={200: TemplateRead, 401: None, 403: None, 404: None},
)
@requires(Role.OPERATOR)
def stop_template(template_id: int) -> Response:
    stopped = market_templates.stop_template(wiring().uow(), template_id, principal())
    return jsonify(stopped.model_dump(mode="json"))
