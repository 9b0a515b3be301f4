"""The caller's own money and wagers: /api/me/..."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify

from streambet.api.accounts import UserRead, user_read
from streambet.api.auth import require_principal, requires
from streambet.api.betting_ports import ports
from streambet.api.betting_schemas import (
    AmountCreate,
    PageQuery,
    PayoutRequestRead,
    WagerList,
    payout_request_read,
    wager_read,
)
from streambet.api.openapi import documented
from streambet.api.validation import parse_json, parse_query
from streambet.domain.accounts import Role
from streambet.services import wagers, wallet
from streambet.wiring import wiring

bp = Blueprint("me", __name__)
TAGS = ("me",)


class MeRead(UserRead):
    balance: int


@bp.get("/api/me")
@documented(
    "Who I am and my balance (minor units)",
    tags=TAGS,
    auth="bettor",
    responses={200: MeRead, 401: None},
)
@requires(Role.BETTOR)
def me() -> Response:
    principal = require_principal()
    with wiring().read_uow() as uow:
        balance = wallet.balance(uow, principal.user_id)
    return jsonify({**user_read(principal), "balance": balance})


@bp.get("/api/me/wagers")
@documented(
    "My wagers, newest first",
    tags=TAGS,
    query=PageQuery,
    auth="bettor",
    responses={200: WagerList, 401: None},
)
@requires(Role.BETTOR)
def my_wagers() -> Response:
    q = parse_query(PageQuery)
    with wiring().read_uow() as uow:
        items = wagers.wagers_of(
            uow, user_id=require_principal().user_id, limit=q.limit, offset=q.offset
        )
    return jsonify({"items": [wager_read(w) for w in items]})


@bp.post("/api/me/deposits")
@documented(
    "Deposit through the payout provider (a mock that records what it would collect)",
    tags=TAGS,
    body=AmountCreate,
    auth="bettor",
    responses={201: PayoutRequestRead, 400: None, 401: None},
)
@requires(Role.BETTOR)
def deposit() -> tuple[Response, int]:
    body = parse_json(AmountCreate)
    with wiring().uow() as uow:
        pending = wallet.request_deposit(uow, require_principal().user_id, body.amount)
    with wiring().uow() as uow:
        view = wallet.complete_deposit(uow, ports().provider, pending.key)
    return jsonify(payout_request_read(view)), 201


@bp.post("/api/me/withdrawals")
@documented(
    "Withdraw through the payout provider (a mock that records what it would pay)",
    tags=TAGS,
    body=AmountCreate,
    auth="bettor",
    responses={201: PayoutRequestRead, 400: None, 401: None, 409: None},
)
@requires(Role.BETTOR)
def withdraw() -> tuple[Response, int]:
    body = parse_json(AmountCreate)
    with wiring().uow() as uow:
        pending = wallet.request_withdrawal(uow, require_principal().user_id, body.amount)
    with wiring().uow() as uow:
        view = wallet.send_withdrawal(uow, ports().provider, pending.key)
    return jsonify(payout_request_read(view)), 201
