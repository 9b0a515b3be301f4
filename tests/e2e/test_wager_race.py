"""Hundreds of concurrent stakes against small balances, through a real HTTP server with
real threads, on SQLite and PostgreSQL: no balance goes negative, no stake is lost or
doubled, and a retried Idempotency-Key places its wager once."""

from __future__ import annotations

import itertools
from collections import Counter, defaultdict
from concurrent.futures import ThreadPoolExecutor

import requests
from flask import Flask
from sqlalchemy import func, select

from streambet.adapters.orm.betting import Wager
from streambet.services import wallet
from tests.support.api import make_actor
from tests.support.betting import fund, verify_ledger
from tests.support.threaded_server import serving

BETTORS = 12
BALANCE = 100
STAKE = 7  # 14 stakes fit in 100, leaving 2
KEYS_PER_BETTOR = 20  # each sent twice: 480 requests
COPIES = 2


def test_concurrent_stakes_never_overspend_or_double(any_db_app: Flask) -> None:
    app = any_db_app
    op = make_actor(app, "operator")
    bettors = [make_actor(app) for _ in range(BETTORS)]
    for b in bettors:
        fund(app, b.user_id, BALANCE)
    client = app.test_client()
    market = client.post(
        "/api/markets",
        json={"question": "Race?", "outcomes": [{"title": "A"}, {"title": "B"}]},
        headers=op.headers,
    ).get_json()
    outcomes = [o["id"] for o in market["outcomes"]]
    jobs = [
        (b, f"k{b.user_id}-{k}", outcomes[k % 2])
        for b in bettors
        for k in range(KEYS_PER_BETTOR)
        for _ in range(COPIES)
    ]
    # Interleave bettors so every wallet sees concurrent debits.
    jobs = [
        j for group in itertools.zip_longest(*[jobs[i::7] for i in range(7)]) for j in group if j
    ]

    with serving(app) as base:

        def place(job: tuple) -> tuple[int, str, dict]:
            bettor, key, outcome = job
            r = requests.post(
                f"{base}/api/markets/{market['id']}/wagers",
                json={"outcome_id": outcome, "stake": STAKE},
                headers={**bettor.headers, "Idempotency-Key": key},
                timeout=60,
            )
            return r.status_code, key, r.json()

        with ThreadPoolExecutor(max_workers=32) as pool:
            results = list(pool.map(place, jobs))

    statuses = Counter(status for status, _, _ in results)
    assert set(statuses) <= {201, 409}, statuses
    for status, _, body in results:
        if status == 409:
            assert body["error"]["code"] == "insufficient_funds", body
    by_key: dict[str, set[int]] = defaultdict(set)
    for status, key, body in results:
        if status == 201:
            by_key[key].add(body["id"])
    assert all(len(ids) == 1 for ids in by_key.values()), "a key placed two wagers"

    w = app.extensions["streambet"]
    fits = BALANCE // STAKE
    with w.read_uow() as uow:
        for b in bettors:
            count = uow.session.scalar(select(func.count()).where(Wager.user_id == b.user_id))
            assert count == fits, (b.email, count)
            assert wallet.balance(w.read_uow(), b.user_id) == BALANCE - fits * STAKE
        total = uow.session.scalar(select(func.sum(Wager.stake)))
    assert len(by_key) == BETTORS * fits
    market_now = client.get(f"/api/markets/{market['id']}", headers=op.headers).get_json()
    assert market_now["pool"] == total == BETTORS * fits * STAKE
    assert sum(o["wagers"] for o in market_now["outcomes"]) == BETTORS * fits
    assert verify_ledger(app) == []


def test_a_retried_key_replays_and_a_reused_key_is_refused(any_db_app: Flask) -> None:
    app = any_db_app
    client = app.test_client()
    op = make_actor(app, "operator")
    b = make_actor(app)
    fund(app, b.user_id, 100)
    m = client.post(
        "/api/markets",
        json={"question": "Key?", "criteria": {"label": "Cat"}},
        headers=op.headers,
    ).get_json()
    url = f"/api/markets/{m['id']}/wagers"
    body = {"outcome_id": m["outcomes"][0]["id"], "stake": 30}
    headers = {**b.headers, "Idempotency-Key": "retry-1"}
    first = client.post(url, json=body, headers=headers)
    again = client.post(url, json=body, headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.headers["Idempotent-Replayed"] == "true"
    assert first.get_json()["id"] == again.get_json()["id"]
    assert client.get("/api/me", headers=b.headers).get_json()["balance"] == 70
    reused = client.post(url, json={**body, "stake": 31}, headers=headers)
    assert reused.status_code == 409
    assert reused.get_json()["error"]["code"] == "idempotency_key_reused"
    long_key = client.post(url, json=body, headers={**b.headers, "Idempotency-Key": "x" * 129})
    assert long_key.status_code == 400
    # A retry that arrives after the market locked still gets the wager it placed.
    assert client.post(f"/api/markets/{m['id']}/lock", headers=op.headers).status_code == 200
    late = client.post(url, json=body, headers=headers)
    assert late.status_code == 201 and late.get_json()["id"] == first.get_json()["id"]
    fresh = client.post(url, json=body, headers={**b.headers, "Idempotency-Key": "retry-2"})
    assert fresh.status_code == 409 and fresh.get_json()["error"]["code"] == "market_not_open"
    assert client.get("/api/me", headers=b.headers).get_json()["balance"] == 70
    assert verify_ledger(app) == []
