"""Markets, wagers and disputes: /api/markets/..."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify, request

from streambet.api.auth import principal, requires, token, token_checked
from streambet.api.betting_schemas import (
    CancelCreate,
    CriteriaCheckRead,
    DisputeCreate,
    DisputeList,
    DisputeRead,
    MarketCreate,
    MarketList,
    MarketOutcomes,
    MarketQuery,
    MarketRead,
    PageQuery,
    ResolveCreate,
    WagerCreate,
    WagerList,
    WagerRead,
    from_ms,
)
from streambet.api.openapi import documented
from streambet.api.validation import parse_json, parse_query
from streambet.domain.accounts import Role, check_may_wager
from streambet.domain.errors import StreamBetError
from streambet.services import accounts, disputes, markets, settlement, wagers
from streambet.services.wagers import WagerOrder
from streambet.wiring import wiring

bp = Blueprint("markets", __name__)
TAGS = ("markets",)


@bp.post("/api/markets")
@documented(
    "Create a market (operator) on your own footage (`analysis_id`) or on none yet",
    tags=TAGS,
    body=MarketCreate,
    responses={201: MarketRead, 400: None, 401: None, 403: None, 404: None},
)
@requires(Role.OPERATOR)
def create_market() -> tuple[Response, int]:
    body = parse_json(MarketCreate)
    w = wiring()
    market = markets.create_market(
        w.uow(),
        w.vocabulary,
        principal(),
        body.question,
        body.drafts(),
        analysis_id=body.analysis_id,
        evidence=body.evidence,
        footage_policy=w.footage_policy,
        takeout_bp=body.takeout_bp,
        min_stake=body.min_stake,
        max_stake=body.max_stake,
        opens_at=from_ms(body.opens_at_ms),
        closes_at=from_ms(body.closes_at_ms),
    )
    return jsonify(market.model_dump(mode="json")), 201


@bp.post("/api/markets/check")
@documented(
    "Check a market's outcomes before creating it: valid criteria, and whether the engine"
    " settles them by itself or a person always decides (labels without measured precision)",
    tags=TAGS,
    body=MarketOutcomes,
    responses={200: CriteriaCheckRead, 400: None, 401: None, 403: None},
)
@requires(Role.OPERATOR)
def check_market() -> Response:
    body = parse_json(MarketOutcomes)
    w = wiring()
    engine = w.settings.analysis_backend
    check = markets.check_criteria(
        body.drafts(), w.vocabulary, w.settlement_policy.settleable.get(engine)
    )
    return jsonify(CriteriaCheckRead(**vars(check)).model_dump(mode="json"))


@bp.get("/api/markets")
@documented(
    "List markets, newest first (public: visitors browse before signing up)",
    tags=TAGS,
    query=MarketQuery,
    responses={200: MarketList, 400: None},
)
def list_markets() -> Response:
    q = parse_query(MarketQuery)
    items, total = markets.list_markets(
        wiring().read_uow(),
        status=q.status,
        analysis_id=q.analysis_id,
        limit=q.limit,
        offset=q.offset,
    )
    return jsonify(MarketList(items=items, total=total).model_dump(mode="json"))


@bp.get("/api/markets/<id:market_id>")
@documented(
    "A market with its outcomes, pools, live odds and settlement evidence (public: a market"
    " carries evidence only once it has locked and been decided)",
    tags=TAGS,
    responses={200: MarketRead, 404: None},
)
def get_market(market_id: int) -> Response:
    return jsonify(markets.get_market(wiring().read_uow(), market_id).model_dump(mode="json"))


@bp.post("/api/markets/<id:market_id>/lock")
@documented(
    "Stop taking wagers (the operator who made it, or an admin)",
    tags=TAGS,
    responses={200: MarketRead, 401: None, 403: None, 404: None, 409: None},
)
@requires(Role.OPERATOR)
def lock_market(market_id: int) -> Response:
    market = markets.lock_market(wiring().uow(), market_id, by=principal())
    return jsonify(market.model_dump(mode="json"))


@bp.post("/api/markets/<id:market_id>/cancel")
@documented(
    "Cancel a market and refund every stake (the operator who made it, or an admin)",
    tags=TAGS,
    body=CancelCreate,
    responses={200: MarketRead, 401: None, 403: None, 404: None, 409: None},
)
@requires(Role.OPERATOR)
def cancel_market(market_id: int) -> Response:
    body = parse_json(CancelCreate) if request.content_length else CancelCreate()
    market = settlement.cancel_market(wiring().uow(), market_id, principal(), reason=body.reason)
    return jsonify(market.model_dump(mode="json"))


@bp.post("/api/markets/<id:market_id>/settle")
@documented(
    "Settle a locked market from its analysis' evidence now (the operator who made it,"
    " or an admin)",
    tags=TAGS,
    responses={200: MarketRead, 401: None, 403: None, 404: None, 409: None},
)
@requires(Role.OPERATOR)
def settle_market(market_id: int) -> Response:
    w = wiring()
    market = settlement.settle_now(
        w.uow(), market_id, w.timelines, w.settlement_policy, principal()
    )
    return jsonify(market.model_dump(mode="json"))


@bp.post("/api/markets/<id:market_id>/resolve")
@documented(
    "Resolve a locked or in-review market by hand (admin); the dispute window applies",
    tags=TAGS,
    body=ResolveCreate,
    responses={200: MarketRead, 400: None, 401: None, 403: None, 404: None, 409: None},
)
@requires(Role.ADMIN)
def resolve_market(market_id: int) -> Response:
    body = parse_json(ResolveCreate)
    w = wiring()
    market = settlement.resolve_manually(
        w.uow(), market_id, body.outcome_id, principal(), w.settlement_policy, note=body.note
    )
    return jsonify(market.model_dump(mode="json"))


@bp.post("/api/markets/<id:market_id>/wagers")
@documented(
    "Place a wager (bettors only). Send an Idempotency-Key header to make retries safe",
    tags=TAGS,
    body=WagerCreate,
    responses={201: WagerRead, 400: None, 401: None, 403: None, 404: None, 409: None},
)
@requires(Role.BETTOR, in_view=True)
def place_wager(market_id: int) -> tuple[Response, int]:
    body = parse_json(WagerCreate)
    batcher = wiring().wagers
    key = request.headers.get("Idempotency-Key")
    if batcher.checks_tokens:  # PostgreSQL: the wager's own call checks the token
        order = WagerOrder(
            None, market_id, body.outcome_id, body.stake, key, accounts.token_hash(token())
        )
        try:
            order.check()
        except StreamBetError:  # answered after the token and the role, as on SQLite
            check_may_wager(principal().role)
            raise
        try:
            placed = batcher.place(order)
        finally:
            token_checked()  # the call answered for the token, whatever it answered
    else:
        placed = wagers.place_wager(
            batcher.place, principal(), market_id, body.outcome_id, body.stake, key
        )
    response = jsonify(placed.model_dump(mode="json"))
    if placed.replayed:
        response.headers["Idempotent-Replayed"] = "true"
    return response, 201


@bp.get("/api/markets/<id:market_id>/wagers")
@documented(
    "Wagers on a market: a bettor sees only their own; operators and admins see all",
    tags=TAGS,
    query=PageQuery,
    responses={200: WagerList, 401: None, 404: None},
)
@requires(Role.BETTOR)
def market_wagers(market_id: int) -> Response:
    q = parse_query(PageQuery)
    items = wagers.market_wagers(
        wiring().read_uow(), market_id, principal(), limit=q.limit, offset=q.offset
    )
    return jsonify(WagerList(items=items).model_dump(mode="json"))


@bp.post("/api/markets/<id:market_id>/disputes")
@documented(
    "Dispute a resolution inside the dispute window (bettors with a stake)",
    tags=TAGS,
    body=DisputeCreate,
    responses={201: DisputeRead, 400: None, 401: None, 403: None, 404: None, 409: None},
)
@requires(Role.BETTOR)
def open_dispute(market_id: int) -> tuple[Response, int]:
    body = parse_json(DisputeCreate)
    dispute = disputes.open_dispute(wiring().uow(), market_id, principal().user_id, body.reason)
    return jsonify(dispute.model_dump(mode="json")), 201


@bp.get("/api/markets/<id:market_id>/disputes")
@documented(
    "Disputes on a market: a bettor sees only their own; operators and admins see all",
    tags=TAGS,
    responses={200: DisputeList, 401: None, 404: None},
)
@requires(Role.BETTOR)
def market_disputes(market_id: int) -> Response:
    items = disputes.market_disputes(wiring().read_uow(), market_id, principal())
    return jsonify(DisputeList(items=items).model_dump(mode="json"))
