"""Markets, wagers and disputes: /api/markets/..."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify, request

from streambet.api.auth import require_principal, requires
from streambet.api.betting_ports import ports
from streambet.api.betting_schemas import (
    CancelCreate,
    DisputeCreate,
    DisputeList,
    DisputeRead,
    MarketCreate,
    MarketList,
    MarketQuery,
    MarketRead,
    PageQuery,
    ResolveCreate,
    WagerCreate,
    WagerList,
    WagerRead,
    dispute_read,
    from_ms,
    market_read,
    wager_read,
)
from streambet.api.openapi import documented
from streambet.api.validation import parse_json, parse_query
from streambet.domain.accounts import Role
from streambet.domain.criteria import FootageVocabulary, LabelVocabulary
from streambet.domain.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from streambet.services import analyses, disputes, markets, settlement, wagers
from streambet.timeline import Timeline
from streambet.wiring import wiring

bp = Blueprint("markets", __name__)
TAGS = ("markets",)


@bp.post("/api/markets")
@documented(
    "Create a market (operator) on your own footage (`analysis_id`) or on none yet",
    tags=TAGS,
    body=MarketCreate,
    auth="operator",
    responses={201: MarketRead, 400: None, 401: None, 403: None, 404: None},
)
@requires(Role.OPERATOR)
def create_market() -> tuple[Response, int]:
    body = parse_json(MarketCreate)
    if body.outcomes is not None:
        if body.criteria is not None:
            raise ValidationFailed(
                "Give either `outcomes` (each with its criteria) or the YES/NO shortcut"
                " `criteria`.",
                details={"field": "criteria"},
            )
        drafts = [markets.OutcomeDraft(o.title, o.criteria) for o in body.outcomes]
    else:
        drafts = [markets.OutcomeDraft("YES", body.criteria), markets.OutcomeDraft("NO")]
    p = ports()
    principal = require_principal()
    vocabulary: LabelVocabulary = p.vocabulary
    if body.analysis_id is not None:
        # Only your own footage (an admin's: anyone's): a market makes its evidence frames
        # visible to every bettor.
        try:
            footage = analyses.get(wiring(), principal, body.analysis_id)
        except NotFound:
            raise NotFound(
                "No such analysis among yours.", details={"field": "analysis_id"}
            ) from None
        if footage.timeline is not None:  # the labels its engine reported are known too
            vocabulary = FootageVocabulary(vocabulary, Timeline.from_dict(footage.timeline).labels)
    with wiring().uow() as uow:
        v = markets.create_market(
            uow,
            vocabulary,
            principal.user_id,
            body.question,
            drafts,
            analysis_id=body.analysis_id,
            takeout_bp=body.takeout_bp,
            min_stake=body.min_stake,
            max_stake=body.max_stake,
            opens_at=from_ms(body.opens_at_ms),
            closes_at=from_ms(body.closes_at_ms),
            publish=p.publish,
        )
    return jsonify(market_read(v)), 201


@bp.get("/api/markets")
@documented(
    "List markets, newest first",
    tags=TAGS,
    query=MarketQuery,
    auth="bettor",
    responses={200: MarketList, 400: None, 401: None},
)
@requires(Role.BETTOR)
def list_markets() -> Response:
    q = parse_query(MarketQuery)
    with wiring().read_uow() as uow:
        items, total = markets.list_markets(
            uow, status=q.status, analysis_id=q.analysis_id, limit=q.limit, offset=q.offset
        )
    return jsonify({"items": [market_read(v) for v in items], "total": total})


@bp.get("/api/markets/<int:market_id>")
@documented(
    "A market with its outcomes, pools, live odds and settlement evidence",
    tags=TAGS,
    auth="bettor",
    responses={200: MarketRead, 401: None, 404: None},
)
@requires(Role.BETTOR)
def get_market(market_id: int) -> Response:
    with wiring().read_uow() as uow:
        return jsonify(market_read(markets.get_market(uow, market_id)))


def _require_manager(market_id: int) -> None:
    principal = require_principal()
    with wiring().read_uow() as uow:
        markets.check_manager(uow, market_id, principal.user_id, principal.role == Role.ADMIN)


@bp.post("/api/markets/<int:market_id>/lock")
@documented(
    "Stop taking wagers (operator)",
    tags=TAGS,
    auth="operator",
    responses={200: MarketRead, 401: None, 403: None, 404: None, 409: None},
)
@requires(Role.OPERATOR)
def lock_market(market_id: int) -> Response:
    _require_manager(market_id)
    with wiring().uow() as uow:
        v = markets.lock_market(uow, market_id, publish=ports().publish)
    return jsonify(market_read(v))


@bp.post("/api/markets/<int:market_id>/cancel")
@documented(
    "Cancel a market and refund every stake (operator)",
    tags=TAGS,
    body=CancelCreate,
    auth="operator",
    responses={200: MarketRead, 401: None, 403: None, 404: None, 409: None},
)
@requires(Role.OPERATOR)
def cancel_market(market_id: int) -> Response:
    _require_manager(market_id)
    body = parse_json(CancelCreate) if request.content_length else CancelCreate()
    with wiring().uow() as uow:
        v = settlement.cancel_market(
            uow,
            market_id,
            require_principal().user_id,
            reason=body.reason,
            publish=ports().publish,
        )
    return jsonify(market_read(v))


@bp.post("/api/markets/<int:market_id>/settle")
@documented(
    "Settle a locked market from its analysis' evidence now (operator)",
    tags=TAGS,
    auth="operator",
    responses={200: MarketRead, 401: None, 403: None, 404: None, 409: None},
)
@requires(Role.OPERATOR)
def settle_market(market_id: int) -> Response:
    _require_manager(market_id)
    p = ports()
    with wiring().uow() as uow:
        result = settlement.settle_market(uow, market_id, p.timelines, p.policy, publish=p.publish)
    if result.decision is None:
        raise Conflict(
            "Nothing to settle: the market is not locked or its analysis is not available.",
            code="evidence_unavailable",
        )
    return jsonify(market_read(result.market))


@bp.post("/api/markets/<int:market_id>/resolve")
@documented(
    "Resolve a locked or in-review market by hand (admin); the dispute window applies",
    tags=TAGS,
    body=ResolveCreate,
    auth="admin",
    responses={200: MarketRead, 400: None, 401: None, 403: None, 404: None, 409: None},
)
@requires(Role.ADMIN)
def resolve_market(market_id: int) -> Response:
    body = parse_json(ResolveCreate)
    p = ports()
    with wiring().uow() as uow:
        v = settlement.resolve_manually(
            uow,
            market_id,
            body.outcome_id,
            require_principal().user_id,
            p.policy,
            note=body.note,
            publish=p.publish,
        )
    return jsonify(market_read(v))


@bp.post("/api/markets/<int:market_id>/wagers")
@documented(
    "Place a wager (bettors only). Send an Idempotency-Key header to make retries safe",
    tags=TAGS,
    body=WagerCreate,
    auth="bettor",
    responses={201: WagerRead, 400: None, 401: None, 403: None, 404: None, 409: None},
)
@requires(Role.BETTOR)
def place_wager(market_id: int) -> tuple[Response, int]:
    principal = require_principal()
    if principal.role is not Role.BETTOR:
        # Whoever creates or resolves markets must not hold positions in them.
        raise PermissionDenied("Operators and admins cannot place wagers.")
    body = parse_json(WagerCreate)
    key = request.headers.get("Idempotency-Key")
    w = wiring().wagers.place(
        wagers.WagerOrder(principal.user_id, market_id, body.outcome_id, body.stake, key)
    )
    response = jsonify(wager_read(w))
    if w.replayed:
        response.headers["Idempotent-Replayed"] = "true"
    return response, 201


@bp.get("/api/markets/<int:market_id>/wagers")
@documented(
    "Wagers on a market: a bettor sees only their own; operators and admins see all",
    tags=TAGS,
    query=PageQuery,
    auth="bettor",
    responses={200: WagerList, 401: None, 404: None},
)
@requires(Role.BETTOR)
def market_wagers(market_id: int) -> Response:
    principal = require_principal()
    q = parse_query(PageQuery)
    mine = principal.user_id if principal.role is Role.BETTOR else None
    with wiring().read_uow() as uow:
        markets.get_market(uow, market_id)
        items = wagers.wagers_of(
            uow, user_id=mine, market_id=market_id, limit=q.limit, offset=q.offset
        )
    return jsonify({"items": [wager_read(w) for w in items]})


@bp.post("/api/markets/<int:market_id>/disputes")
@documented(
    "Dispute a resolution inside the dispute window (bettors with a stake)",
    tags=TAGS,
    body=DisputeCreate,
    auth="bettor",
    responses={201: DisputeRead, 400: None, 401: None, 403: None, 404: None, 409: None},
)
@requires(Role.BETTOR)
def open_dispute(market_id: int) -> tuple[Response, int]:
    body = parse_json(DisputeCreate)
    with wiring().uow() as uow:
        d = disputes.open_dispute(
            uow, market_id, require_principal().user_id, body.reason, publish=ports().publish
        )
    return jsonify(dispute_read(d)), 201


@bp.get("/api/markets/<int:market_id>/disputes")
@documented(
    "Disputes on a market: a bettor sees only their own; operators and admins see all",
    tags=TAGS,
    auth="bettor",
    responses={200: DisputeList, 401: None, 404: None},
)
@requires(Role.BETTOR)
def market_disputes(market_id: int) -> Response:
    principal = require_principal()
    mine = principal.user_id if principal.role is Role.BETTOR else None
    with wiring().read_uow() as uow:
        markets.get_market(uow, market_id)
        items = disputes.disputes_of(uow, market_id=market_id, user_id=mine)
    return jsonify({"items": [dispute_read(d) for d in items]})
