"""Admin work: the review queue, dispute rulings, running due payouts, checking the books."""

from __future__ import annotations

from dataclasses import asdict

from flask import Blueprint, Response, jsonify
from pydantic import BaseModel

from streambet.api.auth import require_principal, requires
from streambet.api.betting_ports import ports
from streambet.api.betting_schemas import (
    DisputeRead,
    MarketRead,
    RulingCreate,
    dispute_read,
    market_read,
)
from streambet.api.openapi import documented
from streambet.api.validation import parse_json
from streambet.domain.accounts import Role
from streambet.domain.markets import MarketStatus
from streambet.services import disputes, ledger, markets, sweeper
from streambet.wiring import wiring

bp = Blueprint("admin", __name__)
TAGS = ("admin",)


class ReviewItem(BaseModel):
    market: MarketRead
    disputes: list[DisputeRead]


class ReviewList(BaseModel):
    items: list[ReviewItem]


class SweepRead(BaseModel):
    locked: list[int]
    settled: list[int]
    paid: list[int]
    finished_requests: int


class LedgerReport(BaseModel):
    ok: bool
    violations: list[str]


@bp.get("/api/admin/reviews")
@documented(
    "Markets waiting for a person: evidence in the review band, and open disputes",
    tags=TAGS,
    auth="admin",
    responses={200: ReviewList, 401: None, 403: None},
)
@requires(Role.ADMIN)
def reviews() -> Response:
    items = []
    with wiring().read_uow() as uow:
        for status in (MarketStatus.REVIEW, MarketStatus.DISPUTED):
            found, _ = markets.list_markets(uow, status=status.value, limit=200)
            for v in found:
                ds = disputes.disputes_of(uow, market_id=v.id, status="open")
                items.append({"market": market_read(v), "disputes": [dispute_read(d) for d in ds]})
    return jsonify({"items": items})


@bp.post("/api/admin/disputes/<int:dispute_id>")
@documented(
    "Rule on a dispute: uphold the resolution or overturn it (to an outcome, or void);"
    " the market pays out at once",
    tags=TAGS,
    body=RulingCreate,
    auth="admin",
    responses={200: DisputeRead, 400: None, 401: None, 403: None, 404: None, 409: None},
)
@requires(Role.ADMIN)
def rule(dispute_id: int) -> Response:
    body = parse_json(RulingCreate)
    ruling = disputes.Ruling(body.decision == "uphold", body.outcome_id, body.note)
    with wiring().uow() as uow:
        d = disputes.decide_dispute(
            uow, dispute_id, require_principal().user_id, ruling, publish=ports().publish
        )
    return jsonify(dispute_read(d))


@bp.post("/api/admin/payouts/run")
@documented(
    "Run the periodic betting job now: lock markets past closing, settle those whose"
    " analysis is ready, pay those whose dispute window closed, finish pending deposits"
    " and withdrawals",
    tags=TAGS,
    auth="admin",
    responses={200: SweepRead, 401: None, 403: None},
)
@requires(Role.ADMIN)
def run_payouts() -> Response:
    w = wiring()
    p = ports()
    report = sweeper.sweep(w.uow, w.read_uow, p.timelines, p.policy, p.provider, publish=p.publish)
    return jsonify(asdict(report))


@bp.get("/api/admin/ledger")
@documented(
    "Check every ledger invariant now",
    tags=TAGS,
    auth="admin",
    responses={200: LedgerReport, 401: None, 403: None},
)
@requires(Role.ADMIN)
def verify_ledger() -> Response:
    with wiring().read_uow() as uow:
        violations = [str(v) for v in ledger.verify(uow.session)]
    return jsonify({"ok": not violations, "violations": violations})
