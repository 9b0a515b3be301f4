"""The caller's own balance and wagers: /api/me/... (deposits, withdrawals and limits:
api/payments.py)."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify

from streambet.api.accounts import UserRead, user_read
from streambet.api.auth import principal, requires, token, token_checked
from streambet.api.betting_schemas import PageQuery, WagerList
from streambet.api.openapi import documented
from streambet.api.validation import parse_query
from streambet.domain.accounts import Role
from streambet.services import accounts, wagers
from streambet.wiring import wiring

bp = Blueprint("me", __name__)
TAGS = ("me",)


class MeRead(UserRead):
    balance: int


@bp.get("/api/me")
@documented(
    "Who I am and my balance (minor units)",
    tags=TAGS,
    responses={200: MeRead, 401: None},
)
@requires(Role.BETTOR, in_view=True)
def me() -> Response:
    # the token check and the balance in one statement: one round trip, not two
    with wiring().read_connection() as conn:
        who, balance = accounts.authenticate_with_balance(conn, token())
    token_checked(who)
    return jsonify({**user_read(who), "balance": balance})


@bp.get("/api/me/wagers")
@documented(
    "My wagers, newest first",
    tags=TAGS,
    query=PageQuery,
    responses={200: WagerList, 401: None},
)
@requires(Role.BETTOR)
def my_wagers() -> Response:
    q = parse_query(PageQuery)
    items = wagers.my_wagers(
        wiring().read_uow(), principal().user_id, limit=q.limit, offset=q.offset
    )
    return jsonify(WagerList(items=items).model_dump(mode="json"))
