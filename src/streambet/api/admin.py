"""Admin work: the review queue, dispute rulings, running due payouts, checking the books."""

from __future__ import annotations

from datetime import UTC, datetime

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
from streambet.services import disputes, ledger, markets, settlement, wallet
from streambet.wiring import wiring

bp = Blueprint("admin", __name__)
TAGS = ("admin",)


class ReviewItem(BaseModel):
    market: MarketRead
    disputes: list[DisputeRead]


class ReviewList(BaseModel):
    items: list[ReviewItem]


class PayoutRun(BaseModel):
    markets_paid: list[int]
    withdrawals_sent: int


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
    "Pay every market whose dispute window has closed, and resend pending withdrawals"
    " (what the periodic job does)",
    tags=TAGS,
    auth="admin",
    responses={200: PayoutRun, 401: None, 403: None},
)
@requires(Role.ADMIN)
def run_payouts() -> Response:
    return jsonify(run_due_payouts())


def run_due_payouts() -> dict[str, object]:
    """Each market pays in its own transaction; safe to run concurrently or repeatedly."""
    w = wiring()
    p = ports()
    now = datetime.now(UTC)
    with w.read_uow() as uow:
        due = settlement.due_for_payout(uow, now)
    paid = []
    for market_id in due:
        with w.uow() as uow:
            if settlement.finalize_market(uow, market_id, now=now, publish=p.publish):
                paid.append(market_id)
    with w.read_uow() as uow:
        keys = wallet.pending_withdrawals(uow)
    for key in keys:
        with w.uow() as uow:
            wallet.send_withdrawal(uow, p.provider, key)
    return {"markets_paid": paid, "withdrawals_sent": len(keys)}


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
