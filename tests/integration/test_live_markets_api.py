"""The live markets API: opening a market on a window (bad windows are 4xx in the envelope
and leave nothing behind), betting through it, evidence sealed until settlement and then
shown with its frame; recurring templates open exactly one market per period across
restarts and several workers, with the house's estimate from the observed rate."""

from __future__ import annotations

import threading
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from streambet import create_app
from streambet.adapters.orm.betting import Market
from streambet.adapters.orm.live_markets import LiveMarket
from streambet.services import live_settlement, market_templates
from streambet.services.live_frames import frame_key
from streambet.services.live_markets import now_ms
from streambet.services.live_settlement import LiveSettlementPolicy
from streambet.services.settlement import SettlementPolicy
from tests.support import databases
from tests.support.api import Actor, make_actor
from tests.support.betting import Vocabulary, fund
from tests.support.live_markets import cover, detect, make_stream

JPEG = b"\xff\xd8\xff\xe0fake-but-stored\xff\xd9"


def _count(app: Flask, table: Any) -> int:
    w = app.extensions["streambet"]
    with w.read_uow() as uow:
        return int(uow.session.scalar(select(func.count()).select_from(table)) or 0)


def _person_market(app: Flask, stream: int, who: Actor, **body: Any) -> Any:
    """POST a live market "A person?" on `stream` as `who`; `body` adds or overrides."""
    full = {"question": "A person?", "criteria": {"label": "Person"}, **body}
    return app.test_client().post(f"/api/streams/{stream}/markets", json=full, headers=who.headers)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "window"),
        ({"from_ms": 1, "until_ms": 2}, "window"),  # ten seconds at least, and over already
        ({"minutes": 1, "until_ms": 5}, "minutes"),
        ({"minutes": 1, "from_ms": "soon"}, "from_ms"),
        ({"minutes": 1, "in_play": False}, "closes_at_ms"),  # starts now: betting never opens
        ({"minutes": 1, "in_play": True, "bet_delay_ms": 61_000}, "bet_delay_ms"),
        ({"minutes": 1, "gap_rule": "coin"}, "gap_rule"),
        ({"minutes": 1, "in_play": True, "criteria": {"label": "Unicorn"}}, "criteria.label"),
    ],
)
def test_bad_live_markets_are_refused_and_leave_nothing(
    app: Flask, body: dict[str, Any], field: str
) -> None:
    op = make_actor(app, "operator")
    stream = make_stream(app, op.user_id)
    response = _person_market(app, stream, op, **body)
    assert response.status_code == 400, response.get_json()
    error = response.get_json()["error"]
    assert field in str(error["details"])
    assert _count(app, Market) == 0 and _count(app, LiveMarket) == 0


def test_someone_elses_stream_is_not_found(app: Flask) -> None:
    op, other = make_actor(app, "operator"), make_actor(app, "operator")
    stream = make_stream(app, op.user_id)
    response = _person_market(app, stream, other, minutes=1, from_ms=now_ms() + 60_000)
    assert response.status_code == 404
    assert _count(app, Market) == 0


def test_a_live_market_from_open_to_settled_with_its_evidence(app: Flask) -> None:
    w = app.extensions["streambet"]
    c = app.test_client()
    op, bettor = make_actor(app, "operator"), make_actor(app)
    fund(app, bettor.user_id, 100)
    stream = make_stream(app, op.user_id)
    start = now_ms() + 30_000
    made = c.post(
        f"/api/streams/{stream}/markets",
        json={
            "question": "A person in the next minute?",
            "criteria": {"label": "Person"},
            "from_ms": start,
            "minutes": 1,
        },
        headers=op.headers,
    )
    assert made.status_code == 201, made.get_json()
    live = made.get_json()
    market = live["market"]
    assert live["live"]["window_from_ms"] == start
    assert live["live"]["window_until_ms"] == start + 60_000
    assert market["closes_at_ms"] == start  # betting closes as the window opens
    listed = c.get(f"/api/streams/{stream}/markets", headers=bettor.headers).get_json()
    assert [m["market"]["id"] for m in listed["items"]] == [market["id"]]
    yes = market["outcomes"][0]["id"]
    placed = c.post(
        f"/api/markets/{market['id']}/wagers",
        json={"outcome_id": yes, "stake": 25},
        headers=bettor.headers,
    )
    assert placed.status_code == 201
    held = c.post(
        f"/api/markets/{market['id']}/held-wagers",
        json={"outcome_id": yes, "stake": 5},
        headers=bettor.headers,
    )
    assert held.status_code == 409 and held.get_json()["error"]["code"] == "not_in_play"
    # The person appears 10 s into the window; the frame is stored with the event.
    cover(app, stream, start - 5_000, start + 11_000)
    detect(app, stream, start + 10_000, "Person", 94.0)
    w.storage.put(frame_key(stream, start + 10_000), [JPEG])
    frame = f"/api/markets/{market['id']}/live/frames/10000"
    assert c.get(frame, headers=bettor.headers).status_code == 404  # sealed while open
    policy = LiveSettlementPolicy(SettlementPolicy(dispute_window=timedelta(0)))
    report = live_settlement.sweep_live(w.uow, w.read_uow, Vocabulary(), policy, now=start + 11_000)
    assert report.settled == [market["id"]]
    after = c.get(f"/api/markets/{market['id']}/live", headers=bettor.headers).get_json()
    assert after["market"]["status"] == "resolved"
    assert after["market"]["winning_outcome_id"] == yes
    assert [f["stream_ms"] for f in after["live"]["evidence_frames"]] == [start + 10_000]
    got = c.get(frame, headers=bettor.headers)
    assert got.status_code == 200 and got.data == JPEG
    assert got.headers["X-Frame-Ms"] == str(start + 10_000)
    assert (
        c.get(f"/api/markets/{market['id']}/live/frames/9000", headers=bettor.headers).status_code
        == 404
    )


def test_in_play_wagers_are_held_over_http(app: Flask) -> None:
    c = app.test_client()
    op, bettor = make_actor(app, "operator"), make_actor(app)
    fund(app, bettor.user_id, 100)
    stream = make_stream(app, op.user_id)
    made = _person_market(app, stream, op, minutes=1, in_play=True, bet_delay_ms=3_000).get_json()
    market = made["market"]
    assert made["live"]["bet_delay_ms"] == 3_000 and made["live"]["in_play"]
    path = f"/api/markets/{market['id']}/held-wagers"
    body = {"outcome_id": market["outcomes"][1]["id"], "stake": 20}
    headers = {**bettor.headers, "Idempotency-Key": "k-1"}
    first = c.post(path, json=body, headers=headers)
    assert first.status_code == 202, first.get_json()
    held = first.get_json()
    assert held["status"] == "pending" and held["balance"] == 80
    assert held["accept_after_ms"] == held["placed_ms"] + 3_000
    again = c.post(path, json=body, headers=headers)  # a retry holds nothing more
    assert again.get_json()["id"] == held["id"]
    other = c.post(path, json={**body, "stake": 21}, headers=headers)
    assert other.status_code == 409
    mine = c.get(path, headers=bettor.headers).get_json()["items"]
    assert [h["id"] for h in mine] == [held["id"]]


@pytest.mark.parametrize("database_url", ["sqlite", "postgresql"], indirect=True)
def test_an_in_play_market_refuses_a_wager_that_skips_the_bet_delay(app: Flask) -> None:
    """The ordinary wager path (PostgreSQL's server-side batch function included) refuses
    an in-play market: a stake there must wait out the delay as a held wager."""
    c = app.test_client()
    op, bettor = make_actor(app, "operator"), make_actor(app)
    fund(app, bettor.user_id, 100)
    stream = make_stream(app, op.user_id)
    made = _person_market(app, stream, op, minutes=1, in_play=True).get_json()
    market = made["market"]
    direct = c.post(
        f"/api/markets/{market['id']}/wagers",
        json={"outcome_id": market["outcomes"][0]["id"], "stake": 20},
        headers=bettor.headers,
    )
    assert direct.status_code == 409, direct.get_json()
    assert direct.get_json()["error"]["code"] == "in_play"
    balance = c.get("/api/me", headers=bettor.headers).get_json()["balance"]
    assert balance == 100


def test_a_stream_with_undecided_markets_is_not_deleted(app: Flask) -> None:
    c = app.test_client()
    op = make_actor(app, "operator")
    stream = make_stream(app, op.user_id, status="ended")
    made = _person_market(app, stream, op, minutes=1, from_ms=now_ms() + 60_000)
    assert made.status_code == 201, made.get_json()
    market_id = made.get_json()["market"]["id"]
    refused = c.delete(f"/api/streams/{stream}", headers=op.headers)
    assert refused.status_code == 409, refused.get_json()
    error = refused.get_json()["error"]
    assert error["code"] == "stream_has_markets" and error["details"]["market_ids"] == [market_id]
    assert _count(app, LiveMarket) == 1
    assert c.post(f"/api/markets/{market_id}/cancel", headers=op.headers).status_code == 200
    assert c.delete(f"/api/streams/{stream}", headers=op.headers).status_code == 204


def test_templates_open_one_market_per_period_across_workers_and_restarts(
    base_config: dict[str, Any], tmp_path: Path
) -> None:
    with databases.sqlite_database(tmp_path) as url:
        apps = [create_app({**base_config, "database_url": url}) for _ in range(3)]
        try:
            first = apps[0]
            op = make_actor(first, "operator")
            stream = make_stream(first, op.user_id)
            t0 = now_ms()
            cover(first, stream, t0 - 600_000, t0)  # ten minutes watched, four people seen
            for i in range(4):
                detect(first, stream, t0 - 500_000 + i * 100_000, "Person", 90.0)
            made = first.test_client().post(
                f"/api/streams/{stream}/templates",
                json={
                    "question": "A person in the next minute?",
                    "label": "person",
                    "every_minutes": 2,
                    "window_minutes": 1,
                    "lead_seconds": 30,
                },
                headers=op.headers,
            )
            assert made.status_code == 201, made.get_json()
            template = made.get_json()
            assert template["label"] == "Person"
            opened: list[int] = []
            barrier = threading.Barrier(len(apps))

            def worker(app: Flask, at: int) -> None:
                w = app.extensions["streambet"]
                barrier.wait()
                opened.extend(market_templates.open_due(w.uow, w.read_uow, Vocabulary(), now=at))

            for at in (t0 + 1_000, t0 + 20_000, t0 + 121_000, t0 + 150_000):
                threads = [threading.Thread(target=worker, args=(a, at)) for a in apps]
                for t in threads:
                    t.start()
                for t in threads:
                    t.join()
            assert len(opened) == 2  # periods 0 and 1, once each
            w = first.extensions["streambet"]
            with w.read_uow() as uow:
                rows = uow.session.execute(
                    select(LiveMarket.period, LiveMarket.window_from_ms, LiveMarket.estimate)
                    .where(LiveMarket.template_id == template["id"])
                    .order_by(LiveMarket.period)
                ).all()
            anchor = rows[0][1] - 30_000
            assert [(p, f - anchor) for p, f, _ in rows] == [(0, 30_000), (1, 150_000)]
            # 4 sightings in 10 minutes: 1 - e^(-0.4) of seeing one in a minute.
            assert rows[0][2] == pytest.approx(0.3297, abs=1e-3)
            read = (
                first.test_client()
                .get(f"/api/markets/{opened[0]}/live", headers=op.headers)
                .get_json()
            )
            assert "4 sighting(s) of Person" in read["live"]["estimate_basis"]
            # A restart later: a period missed while nobody ran is skipped, not opened late.
            apps[1].extensions["streambet"].close()
            apps[1] = create_app({**base_config, "database_url": url})
            w1 = apps[1].extensions["streambet"]
            late = t0 + 240_000 + 31_000  # period 2's window has begun
            assert market_templates.open_due(w1.uow, w1.read_uow, Vocabulary(), now=late) == []
            stopped = first.test_client().post(
                f"/api/templates/{template['id']}/stop", headers=op.headers
            )
            assert stopped.get_json()["active"] is False
            assert (
                market_templates.open_due(w.uow, w.read_uow, Vocabulary(), now=t0 + 361_000) == []
            )
        finally:
            for app in apps:
                app.extensions["streambet"].close()


def test_the_demo_stream_gets_one_recurring_market(app: Flask) -> None:
    from streambet.services.demo_live_market import QUESTION, seed_demo_template

    w = app.extensions["streambet"]
    op = make_actor(app, "operator")
    stream = make_stream(app, op.user_id)
    first = seed_demo_template(w.uow, Vocabulary(), op.principal, stream)
    assert seed_demo_template(w.uow, Vocabulary(), op.principal, stream) == first  # a rerun
    (opened,) = market_templates.open_due(w.uow, w.read_uow, Vocabulary())
    read = app.test_client().get(f"/api/markets/{opened}/live", headers=op.headers).get_json()
    assert read["market"]["question"] == QUESTION
    assert read["live"]["window_until_ms"] - read["live"]["window_from_ms"] == 60_000
    assert read["live"]["gap_rule"] == "void"
