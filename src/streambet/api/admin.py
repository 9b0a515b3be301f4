"""Admin work: the review queue, dispute rulings, running due payouts, checking the books."""

from __future__ import annotations

from dataclasses import asdict

from flask import Blueprint, Response, jsonify
from pydantic import BaseModel

from streambet.api.auth import principal, requires
from streambet.api.betting_schemas import DisputeRead, RulingCreate
from streambet.api.openapi import documented
from streambet.api.validation import parse_json
from streambet.domain.accounts import Role
from streambet.services import disputes, ledger, sweeper
from streambet.services.disputes import ReviewItem
from streambet.wiring import wiring

bp = Blueprint("admin", __name__)
TAGS = ("admin",)


class ReviewList(BaseModel):
    items: list[ReviewItem]


class SweepRead(BaseModel):
    locked: list[int]
    started: list[str]
    settled: list[int]
    paid: list[int]
    payouts_sent: int


class LedgerReport(BaseModel):
    ok: bool
    violations: list[str]


@bp.get("/api/admin/reviews")
@documented(
    "Markets waiting for a person: evidence in the review band, and open disputes",
    tags=TAGS,
    responses={200: ReviewList, 401: None, 403: None},
)
@requires(Role.ADMIN)
def reviews() -> Response:
    items = disputes.review_queue(wiring().read_uow())
    return jsonify(ReviewList(items=items).model_dump(mode="json"))


@bp.post("/api/admin/disputes/<id:dispute_id>")
@documented(
    "Rule on a dispute: uphold the resolution or overturn it (to an outcome, or void);"
    " the market pays out at once",
    tags=TAGS,
    body=RulingCreate,
    responses={200: DisputeRead, 400: None, 401: None, 403: None, 404: None, 409: None},
)
@requires(Role.ADMIN)
def rule(dispute_id: int) -> Response:
    body = parse_json(RulingCreate)
    ruling = disputes.Ruling(body.decision == "uphold", body.outcome_id, body.note)
    decided = disputes.decide_dispute(wiring().uow(), dispute_id, principal().user_id, ruling)
    return jsonify(decided.model_dump(mode="json"))


@bp.post("/api/admin/payouts/run")
@documented(
    "Run the periodic betting job now: lock markets past closing, start the held analyses"
    " of markets that stopped taking wagers, settle those whose analysis is ready, pay"
    " those whose dispute window closed, send the withdrawals that are due",
    tags=TAGS,
    responses={200: SweepRead, 401: None, 403: None},
)
@requires(Role.ADMIN)
def run_payouts() -> Response:
    w = wiring()
    report = sweeper.sweep(
        w.uow, w.read_uow, w.timelines, w.settlement_policy, w.payments.payouts, queue=w.queue
    )
    return jsonify(asdict(report))


@bp.get("/api/admin/ledger")
@documented(
    "Check every ledger invariant now",
    tags=TAGS,
    responses={200: LedgerReport, 401: None, 403: None},
)
@requires(Role.ADMIN)
def verify_ledger() -> Response:
    violations = [str(v) for v in ledger.verify_books(wiring().read_uow())]
    return jsonify({"ok": not violations, "violations": violations})
