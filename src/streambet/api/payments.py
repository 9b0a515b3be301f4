"""Money in and out: deposits, withdrawals, deposit limits and self-exclusion for the
caller (/api/me/...), the providers' webhooks (/api/payments/...), and the admin's
withdrawal approval queue."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify, request
from pydantic import BaseModel, Field, StrictInt

from streambet.api.auth import principal, requires
from streambet.api.openapi import documented
from streambet.api.validation import parse_json
from streambet.domain.accounts import Role
from streambet.domain.errors import PayloadTooLarge
from streambet.domain.responsible import LimitPeriod
from streambet.services import deposits, responsible, withdrawals
from streambet.services.deposits import DepositRead
from streambet.services.responsible import ResponsibleRead
from streambet.services.withdrawals import PayoutRead
from streambet.wiring import wiring

bp = Blueprint("payments", __name__)
TAGS = ("payments",)
MAX_WEBHOOK_BYTES = 256 * 1024  # a provider's event is a few kilobytes


class DepositCreate(BaseModel):
    amount: StrictInt = Field(description="Minor units of the books' currency")
    provider: str | None = Field(default=None, description="Default: the first enabled")
    pay_currency: str | None = Field(
        default=None, max_length=16, description="Crypto to pay in (NOWPayments)"
    )


class WithdrawalCreate(BaseModel):
    amount: StrictInt
    destination: str = Field(
        default="", max_length=128, description="Stripe: your connected account (acct_...)"
    )


class LimitsUpdate(BaseModel):
    """Omitted periods stay as they are; null removes a limit (after 24 hours)."""

    day: StrictInt | None = None
    week: StrictInt | None = None
    month: StrictInt | None = None


class ExclusionCreate(BaseModel):
    days: StrictInt = Field(description="1 to 1825; cannot be shortened or lifted early")


class ApprovalCreate(BaseModel):
    note: str = Field(default="", max_length=2000)


class DepositList(BaseModel):
    items: list[DepositRead]


class PayoutList(BaseModel):
    items: list[PayoutRead]


class ProvidersRead(BaseModel):
    deposits: list[str]
    payouts: str
    currency: str
    approval_threshold: int
    stripe_publishable_key: str | None = None  # set when Stripe takes deposits


class EventReceived(BaseModel):
    received: bool
    decision: str


@bp.get("/api/payments/providers")
@documented(
    "The enabled payment providers and the books' currency",
    tags=TAGS,
    responses={200: ProvidersRead, 401: None},
)
@requires(Role.BETTOR)
def providers() -> Response:
    w = wiring()
    p = w.payments
    return jsonify(
        ProvidersRead(
            deposits=list(p.deposits),
            payouts=p.payouts.name,
            currency=p.policy.currency,
            approval_threshold=p.policy.approval_threshold,
            stripe_publishable_key=w.settings.stripe_publishable_key or None,
        ).model_dump()
    )


@bp.post("/api/me/deposits")
@documented(
    "Start a deposit: play money is credited at once; a provider's payment is credited"
    " when its verified webhook says the money arrived",
    tags=TAGS,
    body=DepositCreate,
    responses={201: DepositRead, 400: None, 401: None, 403: None, 409: None, 503: None},
)
@requires(Role.BETTOR)
def start_deposit() -> tuple[Response, int]:
    body = parse_json(DepositCreate)
    w = wiring()
    base = (w.settings.public_url or request.url_root).rstrip("/")
    started = deposits.start_deposit(
        w.uow,
        w.payments,
        principal().user_id,
        body.amount,
        provider=body.provider,
        pay_currency=body.pay_currency,
        callback_url=f"{base}/api/payments/nowpayments/ipn",
    )
    return jsonify(started.model_dump(mode="json")), 201


@bp.get("/api/me/deposits")
@documented("My deposits, newest first", tags=TAGS, responses={200: DepositList, 401: None})
@requires(Role.BETTOR)
def my_deposits() -> Response:
    items = deposits.my_deposits(wiring().read_uow(), principal().user_id)
    return jsonify(DepositList(items=items).model_dump(mode="json"))


@bp.get("/api/me/deposits/<id:deposit_id>")
@documented("One of my deposits", tags=TAGS, responses={200: DepositRead, 401: None, 404: None})
@requires(Role.BETTOR)
def my_deposit(deposit_id: int) -> Response:
    found = deposits.deposit_of(wiring().read_uow(), principal().user_id, deposit_id)
    return jsonify(found.model_dump(mode="json"))


@bp.post("/api/me/withdrawals")
@documented(
    "Withdraw: the money leaves the balance at once and is paid by the worker (above the"
    " approval threshold, once an admin approves); a failed payout returns it",
    tags=TAGS,
    body=WithdrawalCreate,
    responses={201: PayoutRead, 400: None, 401: None, 409: None},
)
@requires(Role.BETTOR)
def request_withdrawal() -> tuple[Response, int]:
    body = parse_json(WithdrawalCreate)
    w = wiring()
    p = w.payments
    made = withdrawals.request_withdrawal(
        w.uow(), p.policy, p.payouts.name, principal().user_id, body.amount, body.destination
    )
    return jsonify(made.model_dump(mode="json")), 201


@bp.get("/api/me/withdrawals")
@documented("My withdrawals, newest first", tags=TAGS, responses={200: PayoutList, 401: None})
@requires(Role.BETTOR)
def my_withdrawals() -> Response:
    items = withdrawals.my_withdrawals(wiring().read_uow(), principal().user_id)
    return jsonify(PayoutList(items=items).model_dump(mode="json"))


@bp.get("/api/me/withdrawals/<id:payout_id>")
@documented("One of my withdrawals", tags=TAGS, responses={200: PayoutRead, 401: None, 404: None})
@requires(Role.BETTOR)
def my_withdrawal(payout_id: int) -> Response:
    found = withdrawals.withdrawal_of(wiring().read_uow(), principal().user_id, payout_id)
    return jsonify(found.model_dump(mode="json"))


@bp.get("/api/me/limits")
@documented(
    "My deposit limits (what each period has used) and self-exclusion",
    tags=TAGS,
    responses={200: ResponsibleRead, 401: None},
)
@requires(Role.BETTOR)
def my_limits() -> Response:
    found = responsible.settings_of(wiring().read_uow(), principal().user_id)
    return jsonify(found.model_dump(mode="json"))


@bp.put("/api/me/limits")
@documented(
    "Set deposit limits: lower ones apply at once, higher ones (or none) after 24 hours",
    tags=TAGS,
    body=LimitsUpdate,
    responses={200: ResponsibleRead, 400: None, 401: None},
)
@requires(Role.BETTOR)
def set_limits() -> Response:
    body = parse_json(LimitsUpdate)
    wanted = {LimitPeriod(k): v for k, v in body.model_dump(exclude_unset=True).items()}
    changed = responsible.set_limits(wiring().uow(), principal().user_id, wanted)
    return jsonify(changed.model_dump(mode="json"))


@bp.post("/api/me/self-exclusion")
@documented(
    "Exclude myself from wagers and deposits for some days (withdrawals stay open)",
    tags=TAGS,
    body=ExclusionCreate,
    responses={200: ResponsibleRead, 400: None, 401: None},
)
@requires(Role.BETTOR)
def self_exclude() -> Response:
    body = parse_json(ExclusionCreate)
    changed = responsible.self_exclude(wiring().uow(), principal().user_id, body.days)
    return jsonify(changed.model_dump(mode="json"))


def _webhook(name: str) -> tuple[Response, int]:
    if (request.content_length or 0) > MAX_WEBHOOK_BYTES:
        raise PayloadTooLarge("That event is too large.")
    body = request.get_data(cache=False)
    if len(body) > MAX_WEBHOOK_BYTES:
        raise PayloadTooLarge("That event is too large.")
    w = wiring()
    headers = {k.lower(): v for k, v in request.headers.items()}
    result = deposits.receive_webhook(w.uow(), w.payments, name, body, headers)
    status = 202 if result.decision in ("unknown", "review") else 200
    return jsonify({"received": True, "decision": str(result.decision)}), status


@bp.post("/api/payments/stripe/webhook")
@documented(
    "Stripe's webhook (Stripe-Signature verified, 300 s tolerance); each event once",
    tags=TAGS,
    responses={200: EventReceived, 202: EventReceived, 400: None, 404: None, 409: None},
)
def stripe_webhook() -> tuple[Response, int]:
    return _webhook("stripe")


@bp.post("/api/payments/nowpayments/ipn")
@documented(
    "NOWPayments' IPN callback (x-nowpayments-sig verified); each status once",
    tags=TAGS,
    responses={200: EventReceived, 202: EventReceived, 400: None, 404: None, 409: None},
)
def nowpayments_ipn() -> tuple[Response, int]:
    return _webhook("nowpayments")


@bp.get("/api/admin/withdrawals")
@documented(
    "Withdrawals waiting for an admin (above the threshold), and stalled ones",
    tags=("admin",),
    responses={200: PayoutList, 401: None, 403: None},
)
@requires(Role.ADMIN)
def approval_queue() -> Response:
    items = withdrawals.approval_queue(wiring().read_uow())
    return jsonify(PayoutList(items=items).model_dump(mode="json"))


@bp.post("/api/admin/withdrawals/<id:payout_id>/approve")
@documented(
    "Approve a withdrawal: the worker sends it",
    tags=("admin",),
    body=ApprovalCreate,
    responses={200: PayoutRead, 401: None, 403: None, 404: None, 409: None},
)
@requires(Role.ADMIN)
def approve(payout_id: int) -> Response:
    body = parse_json(ApprovalCreate)
    decided = withdrawals.decide_approval(
        wiring().uow(), payout_id, principal().user_id, True, body.note
    )
    return jsonify(decided.model_dump(mode="json"))


@bp.post("/api/admin/withdrawals/<id:payout_id>/reject")
@documented(
    "Reject a withdrawal: the money goes back to the bettor's balance",
    tags=("admin",),
    body=ApprovalCreate,
    responses={200: PayoutRead, 401: None, 403: None, 404: None, 409: None},
)
@requires(Role.ADMIN)
def reject(payout_id: int) -> Response:
    body = parse_json(ApprovalCreate)
    decided = withdrawals.decide_approval(
        wiring().uow(), payout_id, principal().user_id, False, body.note
    )
    return jsonify(decided.model_dump(mode="json"))
