"""A wager's bearer token: on PostgreSQL the wager's own call checks it (no separate token
check), on SQLite the request checks it first; both answer every token, and every bad
body behind a bad token, exactly alike, and a refused token writes nothing."""

from __future__ import annotations

from concurrent.futures import Future
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask

from streambet.domain.errors import PermissionDenied, Unauthenticated
from streambet.services import accounts, wallet
from streambet.services.wager_batches import WagerBatcher
from streambet.services.wagers import WagerOrder, WagerRead
from tests.support.api import make_actor
from tests.support.betting import cat_market, fund, verify_ledger

LOG_IN = "Log in first: send 'Authorization: Bearer <token>'."


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _tokens(app: Flask) -> tuple[int, dict[str, dict[str, str]]]:
    """A funded bettor (100) and the headers of each kind of token: (user id, headers)."""
    w = app.extensions["streambet"]
    bettor, operator = make_actor(app), make_actor(app, "operator")
    fund(app, bettor.user_id, 100)
    revoked = make_actor(app)
    fund(app, revoked.user_id, 100)
    app.test_client().post("/api/auth/logout", headers=revoked.headers)
    expired = accounts.issue_token(w.uow(), bettor.user_id, timedelta(seconds=-1))
    return bettor.user_id, {
        "good": bettor.headers,
        "none": {},
        "unknown": _bearer("not-a-token-anyone-was-given"),
        "revoked": revoked.headers,
        "expired": _bearer(expired),
        "operator": operator.headers,
    }


def _answer(response: Any) -> tuple[int, str | None]:
    body = response.get_json()
    return response.status_code, body["error"]["message"] if "error" in body else None


def test_each_token_gets_the_same_answer_and_a_refused_one_writes_nothing(
    any_db_app: Flask,
) -> None:
    app = any_db_app
    w = app.extensions["streambet"]
    bettor_id, headers = _tokens(app)
    market = cat_market(app, make_actor(app, "operator").principal)
    client = app.test_client()

    def wager(kind: str) -> tuple[int, str | None]:
        return _answer(
            client.post(
                f"/api/markets/{market.id}/wagers",
                json={"outcome_id": market.outcomes[0].id, "stake": 10},
                headers={**headers[kind], "Idempotency-Key": f"k-{kind}"},
            )
        )

    assert {kind: wager(kind) for kind in headers} == {
        "good": (201, None),
        "none": (401, LOG_IN),
        "unknown": (401, "That token is not valid."),
        "revoked": (401, "That token was revoked."),
        "expired": (401, "That token has expired; log in again."),
        "operator": (403, "Operators and admins cannot place wagers."),
    }
    placed = client.get(f"/api/markets/{market.id}/wagers", headers=headers["operator"])
    assert [item["stake"] for item in placed.get_json()["items"]] == [10]  # the good one only
    assert wallet.balance(w.read_uow(), bettor_id) == 90
    verify_ledger(app)

    me = {kind: _answer(client.get("/api/me", headers=headers[kind])) for kind in headers}
    assert me == {
        "good": (200, None),
        "none": (401, LOG_IN),
        "unknown": (401, "That token is not valid."),
        "revoked": (401, "That token was revoked."),
        "expired": (401, "That token has expired; log in again."),
        "operator": (200, None),
    }
    mine = client.get("/api/me", headers=headers["good"]).get_json()
    assert (mine["id"], mine["role"], mine["balance"]) == (bettor_id, "bettor", 90)
    assert client.get("/api/me", headers=headers["operator"]).get_json()["balance"] == 0


@pytest.mark.parametrize(
    ("body", "key", "operator"),
    [
        # refused by the body's schema, which comes before the role
        ({"outcome_id": 1}, None, 400),
        ({"outcome_id": 1, "stake": "ten"}, None, 400),
        # refused by the order's check, which comes after it
        ({"outcome_id": 1, "stake": 0}, None, 403),
        ({"outcome_id": 1, "stake": 5}, "\x01 not printable", 403),
    ],
)
def test_a_bad_token_answers_before_a_bad_body(
    any_db_app: Flask, body: dict[str, Any], key: str | None, operator: int
) -> None:
    app = any_db_app
    _, headers = _tokens(app)
    market = cat_market(app, make_actor(app, "operator").principal)
    client = app.test_client()
    extra = {"Idempotency-Key": key} if key else {}

    def answer(kind: str) -> int:
        return client.post(
            f"/api/markets/{market.id}/wagers", json=body, headers={**headers[kind], **extra}
        ).status_code

    assert {kind: answer(kind) for kind in headers} == {
        "good": 400,
        "none": 401,
        "unknown": 401,
        "revoked": 401,
        "expired": 401,
        "operator": operator,
    }


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_a_refused_token_leaves_the_rest_of_its_batch_placed(app: Flask) -> None:
    w = app.extensions["streambet"]
    bettor_id, headers = _tokens(app)
    market = cat_market(app, make_actor(app, "operator").principal)
    yes = market.outcomes[0].id

    def by_token(kind: str, stake: int) -> WagerOrder:
        token = headers[kind]["Authorization"].removeprefix("Bearer ")
        return WagerOrder(None, market.id, yes, stake, token_hash=accounts.token_hash(token))

    kinds = ["good", "unknown", "revoked", "expired", "operator", "good"]
    batch: list[tuple[WagerOrder, Future[WagerRead]]] = [
        (by_token(kind, 10 + i), Future()) for i, kind in enumerate(kinds)
    ]
    WagerBatcher(w.uow, checks_tokens=True).run_batch(batch)
    answers = [f.exception(timeout=0) or f.result(timeout=0) for _, f in batch]
    first, unknown, revoked, expired, operator, last = answers
    assert isinstance(first, WagerRead) and first.balance == 90
    assert isinstance(last, WagerRead) and last.balance == 90 - 15
    assert [type(a) for a in (unknown, revoked, expired)] == [Unauthenticated] * 3
    assert isinstance(operator, PermissionDenied)
    assert wallet.balance(w.read_uow(), bettor_id) == 75
    verify_ledger(app)


def test_sqlite_never_takes_a_wager_by_token(app: Flask) -> None:
    batcher = app.extensions["streambet"].wagers
    assert not batcher.checks_tokens
    with pytest.raises(ValueError, match="only PostgreSQL"):
        batcher.place(WagerOrder(None, 1, 1, 10, token_hash=accounts.token_hash("x")))
