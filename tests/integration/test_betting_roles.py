"""Every betting endpoint against every role, and what one bettor can see of another."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from flask import Flask

from streambet import create_app
from tests.support import databases
from tests.support.api import Actor, make_actor
from tests.support.betting import fund, verify_ledger

ROLES = ("anonymous", "bettor", "operator", "admin")


@dataclass
class World:
    actors: dict[str, Actor]
    other: Actor  # a second bettor
    open_id: int  # open market, bettor and other have wagers on it
    yes: int
    locked_id: int
    locked_yes: int
    resolved_id: int  # resolved, dispute window open; bettor has a stake
    dispute_id: int  # other's dispute on a second resolved market


def _create(client: Any, op: Actor) -> dict[str, Any]:
    r = client.post(
        "/api/markets",
        json={"question": "Cat?", "criteria": {"label": "Cat"}},
        headers=op.headers,
    )
    assert r.status_code == 201, r.get_json()
    return r.get_json()


def _wager(client: Any, who: Actor, market: dict[str, Any], stake: int = 10) -> None:
    r = client.post(
        f"/api/markets/{market['id']}/wagers",
        json={"outcome_id": market["outcomes"][0]["id"], "stake": stake},
        headers=who.headers,
    )
    assert r.status_code == 201, r.get_json()


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    """One app and one set of accounts for the module (password hashing is slow on purpose);
    each test gets fresh markets from `world`."""
    tmp = tmp_path_factory.mktemp("roles")
    with databases.sqlite_database(tmp) as url:
        app = create_app(
            {
                "env": "test",
                "data_dir": str(tmp / "var"),
                "queue_backend": "memory",
                "embedded_worker": False,
                "analysis_backend": "fake",
                "database_url": url,
            }
        )
        try:
            yield app
        finally:
            app.extensions["streambet"].close()


@pytest.fixture(scope="module")
def people(app: Flask) -> tuple[dict[str, Actor], Actor]:
    return {r: make_actor(app, r) for r in ("bettor", "operator", "admin")}, make_actor(app)


@pytest.fixture
def world(app: Flask, people: tuple[dict[str, Actor], Actor]) -> World:
    client = app.test_client()
    actors, other = people
    op, admin = actors["operator"], actors["admin"]
    for who in (actors["bettor"], other):
        fund(app, who.user_id, 10_000)
    markets = [_create(client, op) for _ in range(4)]
    opened, locked, resolved, disputed = markets
    for who in (actors["bettor"], other):
        _wager(client, who, opened)
    _wager(client, actors["bettor"], resolved)
    _wager(client, other, disputed)
    for m in (locked, resolved, disputed):
        assert client.post(f"/api/markets/{m['id']}/lock", headers=op.headers).status_code == 200
    for m in (resolved, disputed):
        r = client.post(
            f"/api/markets/{m['id']}/resolve",
            json={"outcome_id": m["outcomes"][1]["id"]},
            headers=admin.headers,
        )
        assert r.status_code == 200, r.get_json()
    d = client.post(
        f"/api/markets/{disputed['id']}/disputes",
        json={"reason": "I saw a cat"},
        headers=other.headers,
    )
    assert d.status_code == 201, d.get_json()
    return World(
        actors,
        other,
        opened["id"],
        opened["outcomes"][0]["id"],
        locked["id"],
        locked["outcomes"][0]["id"],
        resolved["id"],
        d.get_json()["id"],
    )


# (method, path template, json body, expected status for anonymous, bettor, operator, admin)
MATRIX: list[tuple[str, str, Any, tuple[int, int, int, int]]] = [
    (
        "POST",
        "/api/markets",
        {"question": "Dog?", "criteria": {"label": "Dog"}},
        (401, 403, 201, 201),
    ),
    # Public: visitors browse markets before signing up (evidence only once decided).
    ("GET", "/api/markets", None, (200, 200, 200, 200)),
    ("GET", "/api/markets/{open}", None, (200, 200, 200, 200)),
    ("POST", "/api/markets/{open}/lock", None, (401, 403, 200, 200)),
    ("POST", "/api/markets/{open}/cancel", {"reason": "test"}, (401, 403, 200, 200)),
    ("POST", "/api/markets/{locked}/settle", None, (401, 403, 409, 409)),
    ("POST", "/api/markets/{locked}/resolve", {"outcome_id": "{locked_yes}"}, (401, 403, 403, 200)),
    (
        "POST",
        "/api/markets/{open}/wagers",
        {"outcome_id": "{yes}", "stake": 5},
        (401, 201, 403, 403),
    ),
    ("GET", "/api/markets/{open}/wagers", None, (401, 200, 200, 200)),
    ("POST", "/api/markets/{resolved}/disputes", {"reason": "wrong"}, (401, 201, 403, 403)),
    ("GET", "/api/markets/{resolved}/disputes", None, (401, 200, 200, 200)),
    ("GET", "/api/me", None, (401, 200, 200, 200)),
    ("GET", "/api/me/wagers", None, (401, 200, 200, 200)),
    ("POST", "/api/me/deposits", {"amount": 500}, (401, 201, 201, 201)),
    # operators and admins hold at most the 500 they deposit above: 5 000 is refused
    ("POST", "/api/me/withdrawals", {"amount": 5_000}, (401, 201, 409, 409)),
    ("GET", "/api/admin/reviews", None, (401, 403, 403, 200)),
    ("POST", "/api/admin/disputes/{dispute}", {"decision": "uphold"}, (401, 403, 403, 200)),
    ("POST", "/api/admin/payouts/run", None, (401, 403, 403, 200)),
    ("GET", "/api/admin/ledger", None, (401, 403, 403, 200)),
    # The original endpoints: no token means the demo operator (outside production), who
    # manages only the markets it made, like every operator.
    ("GET", "/api/bets", None, (200, 200, 200, 200)),
    ("POST", "/api/resolve", {"bet_id": "{locked}", "labels": []}, (403, 403, 200, 200)),
]


def _fill(value: Any, w: World) -> Any:
    ids = {
        "open": w.open_id,
        "yes": w.yes,
        "locked": w.locked_id,
        "locked_yes": w.locked_yes,
        "resolved": w.resolved_id,
        "dispute": w.dispute_id,
    }
    if isinstance(value, str) and value.startswith("{") and value.endswith("}"):
        return ids[value[1:-1]]
    if isinstance(value, str):
        return value.format(**ids)
    if isinstance(value, dict):
        return {k: _fill(v, w) for k, v in value.items()}
    return value


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(
    "method, path, body, expected", MATRIX, ids=[f"{m} {p}" for m, p, _, _ in MATRIX]
)
def test_every_endpoint_for_every_role(
    app: Flask,
    world: World,
    role: str,
    method: str,
    path: str,
    body: Any,
    expected: tuple[int, ...],
) -> None:
    headers = {} if role == "anonymous" else world.actors[role].headers
    response = app.test_client().open(
        _fill(path, world), method=method, json=_fill(body, world), headers=headers
    )
    assert response.status_code == expected[ROLES.index(role)], response.get_json()
    if response.status_code >= 400:
        assert set(response.get_json()["error"]) == {"code", "message", "details"}
    assert verify_ledger(app) == []


def test_a_bettor_never_sees_another_bettors_wagers_or_balance(app: Flask, world: World) -> None:
    client = app.test_client()
    me, other = world.actors["bettor"], world.other
    mine = client.get(f"/api/markets/{world.open_id}/wagers", headers=me.headers).get_json()
    assert mine["items"] and {w["market_id"] for w in mine["items"]} == {world.open_id}
    theirs = client.get(f"/api/markets/{world.open_id}/wagers", headers=other.headers).get_json()
    assert not {w["id"] for w in mine["items"]} & {w["id"] for w in theirs["items"]}
    all_of_them = client.get(
        f"/api/markets/{world.open_id}/wagers", headers=world.actors["operator"].headers
    ).get_json()
    assert len(all_of_them["items"]) == 2
    me_body = client.get("/api/me", headers=me.headers).get_json()
    assert me_body["id"] == me.user_id and me_body["balance"] > 0
    my_all = client.get("/api/me/wagers", headers=me.headers).get_json()["items"]
    assert all(w["id"] not in {t["id"] for t in theirs["items"]} for w in my_all)
    # other's dispute on another market is not listed for me
    for market_id in (world.resolved_id,):
        listed = client.get(f"/api/markets/{market_id}/disputes", headers=other.headers)
        assert listed.get_json()["items"] == []
    # no endpoint takes a user id: there is no way to name someone else's wallet
    assert client.get(f"/api/users/{other.user_id}/balance", headers=me.headers).status_code == 404
