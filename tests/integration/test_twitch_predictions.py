"""Live markets mirrored as Twitch Predictions, against a local fake Helix server that
checks every request as Twitch documents it: created when the market opens, locked with it,
resolved or canceled from the engine's decision; one at a time per channel; the token
sealed at rest and never logged or shown; Twitch's refusals recorded, never blocking ours."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
import requests
from flask import Flask

from streambet.adapters.orm.twitch import TwitchChannel, TwitchPrediction
from streambet.adapters.twitch_helix import HelixClient
from streambet.domain.errors import NotFound, PermissionDenied, ValidationFailed
from streambet.domain.live_markets import GapRule
from streambet.services import live_markets, live_settlement, markets, twitch_mirror
from streambet.services.live_markets import LiveTerms, now_ms
from streambet.services.live_settlement import LiveSettlementPolicy
from streambet.services.markets import OutcomeDraft
from streambet.services.settlement import SettlementPolicy
from tests.support.api import Actor, make_actor
from tests.support.betting import Vocabulary
from tests.support.live_markets import cover, detect, make_stream, person_market
from tests.support.twitch_helix_fake import CLIENT_ID, FakeHelix, fake_helix

TOKEN = "tok-sEcReT-0123456789abcdef"
BROADCASTER = "141981764"
POLICY = LiveSettlementPolicy(SettlementPolicy(dispute_window=timedelta(0)), timeout_ms=90_000)


@pytest.fixture
def helix() -> Iterator[tuple[FakeHelix, HelixClient]]:
    with fake_helix({TOKEN: BROADCASTER, "other-token": "999"}) as (fake, url):
        yield fake, HelixClient(url, CLIENT_ID, timeout=5)


def connected(app: Flask, token: str = TOKEN) -> tuple[Actor, int]:
    op = make_actor(app, "operator")
    stream = make_stream(app, op.user_id)
    r = app.test_client().put(
        f"/api/streams/{stream}/twitch",
        json={"broadcaster_id": BROADCASTER, "access_token": token},
        headers=op.headers,
    )
    assert r.status_code == 200, r.get_json()
    assert r.get_json() == {"stream_id": stream, "broadcaster_id": BROADCASTER, "mirrored": True}
    return op, stream


def sync(app: Flask, client: HelixClient) -> twitch_mirror.MirrorReport:
    w = app.extensions["streambet"]
    return twitch_mirror.sync_predictions(w.uow, client, w.token_box)


def row(app: Flask, market_id: int) -> TwitchPrediction:
    w = app.extensions["streambet"]
    with w.read_uow() as uow:
        found = uow.session.get(TwitchPrediction, market_id)
        assert found is not None
        uow.session.expunge(found)
        return found


def settle(app: Flask, market_id: int, at: int) -> str | None:
    w = app.extensions["streambet"]
    return live_settlement.settle_live_market(w.uow, market_id, Vocabulary(), POLICY, now=at)


def test_create_lock_resolve(any_db_app: Flask, helix: tuple[FakeHelix, HelixClient]) -> None:
    fake, client = helix
    app = any_db_app
    op, stream = connected(app)
    t0 = now_ms()
    a, b = t0 + 60_000, t0 + 120_000
    market = person_market(app, op.principal, stream, a, b).market
    assert sync(app, client).created == [market.id]
    mirrored = row(app, market.id)
    made = fake.predictions[mirrored.prediction_id or ""]
    assert made["status"] == "ACTIVE"
    assert made["title"] == "A person in the window?"
    assert [o["title"] for o in made["outcomes"]] == ["YES", "NO"]
    assert 55 <= made["prediction_window"] <= 60  # betting closes as the window opens
    assert sync(app, client).created == []  # nothing more to do: nothing sent

    w = app.extensions["streambet"]
    markets.lock_market(w.uow(), market.id, by=None)
    assert sync(app, client).locked == [market.id]
    assert made["status"] == "LOCKED" and row(app, market.id).status == "locked"

    cover(app, stream, a - 10_000, a + 31_000)
    detect(app, stream, a + 20_000, "Person", 95.0)
    assert settle(app, market.id, a + 31_000) == "resolved"
    assert sync(app, client).ended == [market.id]
    yes = made["outcomes"][0]["id"]
    assert made["status"] == "RESOLVED" and made["winning_outcome_id"] == yes
    assert [m for m, _, code in fake.calls if code != 200] == []  # every request accepted


def test_void_cancels(app: Flask, helix: tuple[FakeHelix, HelixClient]) -> None:
    fake, client = helix
    op, stream = connected(app)
    t0 = now_ms()
    a, b = t0 + 60_000, t0 + 120_000
    market = person_market(app, op.principal, stream, a, b, gap_rule=GapRule.VOID).market
    sync(app, client)
    cover(app, stream, a - 10_000, a + 20_000, end_reason="source ended")  # then a gap
    assert settle(app, market.id, b + 100_000) == "void"
    report = sync(app, client)  # from ACTIVE straight to CANCELED: no lock needed first
    assert report.ended == [market.id]
    made = fake.predictions[row(app, market.id).prediction_id or ""]
    assert made["status"] == "CANCELED" and made["winning_outcome_id"] is None
    assert row(app, market.id).status == "canceled"


def test_long_titles_are_shortened(app: Flask, helix: tuple[FakeHelix, HelixClient]) -> None:
    fake, client = helix
    op, stream = connected(app)
    w = app.extensions["streambet"]
    t0 = now_ms()
    made = live_markets.create_live_market(
        w.uow(),
        Vocabulary(),
        op.principal,
        stream,
        "Will a person walk into the kitchen camera's picture during the next two minutes?",
        [
            OutcomeDraft("Yes, somebody walks right in", {"label": "Person"}),
            OutcomeDraft("No, the kitchen stays empty"),
        ],
        LiveTerms(from_ms=t0 + 3_000_000, until_ms=t0 + 3_120_000),  # betting: 50 minutes
        now=t0,
    )
    assert sync(app, client).created == [made.market.id]
    sent = fake.predictions[row(app, made.market.id).prediction_id or ""]
    assert sent["title"] == "Will a person walk into the kitchen camera's…"
    assert len(sent["title"]) <= 45
    titles = [o["title"] for o in sent["outcomes"]]
    assert titles == ["Yes, somebody walks…", "No, the kitchen stays…"]
    assert all(len(t) <= 25 for t in titles)
    assert sent["prediction_window"] == 1800  # clamped to Twitch's longest


def test_a_prediction_twitch_locked_itself_is_still_resolved(
    app: Flask, helix: tuple[FakeHelix, HelixClient]
) -> None:
    fake, client = helix
    op, stream = connected(app)
    t0 = now_ms()
    a, b = t0 + 60_000, t0 + 120_000
    market = person_market(app, op.principal, stream, a, b).market
    sync(app, client)
    made = fake.predictions[row(app, market.id).prediction_id or ""]
    made["status"] = "LOCKED"  # as Twitch does when the prediction's window ends
    w = app.extensions["streambet"]
    markets.lock_market(w.uow(), market.id, by=None)
    assert sync(app, client).locked == [market.id]  # refused (already locked): noted
    locked = row(app, market.id)
    assert locked.status == "locked" and "cannot become LOCKED" in (locked.reason or "")
    cover(app, stream, a - 10_000, b + 15_000, end_reason="stopped")
    assert settle(app, market.id, b + 20_000) == "resolved"  # covered, nobody: NO
    assert sync(app, client).ended == [market.id]
    assert made["status"] == "RESOLVED" and made["winning_outcome_id"] == made["outcomes"][1]["id"]


def test_one_prediction_at_a_time(app: Flask, helix: tuple[FakeHelix, HelixClient]) -> None:
    fake, client = helix
    op, stream = connected(app)
    t0 = now_ms()
    first = person_market(app, op.principal, stream, t0 + 60_000, t0 + 120_000).market
    second = person_market(app, op.principal, stream, t0 + 90_000, t0 + 150_000).market
    report = sync(app, client)
    assert report.created == [first.id] and report.skipped == [second.id]
    skipped = row(app, second.id)
    assert skipped.status == "skipped" and skipped.prediction_id is None
    assert skipped.reason is not None and "one at a time" in skipped.reason
    assert [m for m, _, _ in fake.calls] == ["POST"]  # the second was never sent
    sync(app, client)
    assert [m for m, _, _ in fake.calls] == ["POST"]  # nor later


def test_token_sealed_never_logged_nor_shown(
    app: Flask, helix: tuple[FakeHelix, HelixClient], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    fake, client = helix
    op, stream = connected(app)
    w = app.extensions["streambet"]
    with w.read_uow() as uow:
        channel = uow.session.get(TwitchChannel, stream)
        assert channel is not None and TOKEN not in channel.token_sealed
        assert w.token_box.open(channel.token_sealed) == TOKEN
    t0 = now_ms()
    market = person_market(app, op.principal, stream, t0 + 60_000, t0 + 120_000).market
    sync(app, client)
    markets.lock_market(w.uow(), market.id, by=None)
    sync(app, client)
    for path in (
        f"/api/streams/{stream}",
        "/api/streams",
        f"/api/markets/{market.id}/live",
        f"/api/live-markets?stream_id={stream}",
    ):
        r = app.test_client().get(path, headers=op.headers)
        assert TOKEN not in r.get_data(as_text=True)
    assert TOKEN not in caplog.text
    assert fake.predictions  # the token did go to Twitch, in its header


def test_twitch_refusal_is_recorded_and_never_blocks_the_market(
    app: Flask, helix: tuple[FakeHelix, HelixClient], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    _, client = helix
    op, stream = connected(app, token="revoked-token-abc")  # Twitch does not know it
    t0 = now_ms()
    a, b = t0 + 60_000, t0 + 120_000
    market = person_market(app, op.principal, stream, a, b).market
    assert sync(app, client).failed == [market.id]
    failed = row(app, market.id)
    assert failed.status == "failed" and "401" in (failed.reason or "")
    assert "revoked-token-abc" not in caplog.text
    cover(app, stream, a - 10_000, a + 31_000)
    detect(app, stream, a + 20_000, "Person", 95.0)
    assert settle(app, market.id, a + 31_000) == "resolved"  # our market goes on


def test_connecting_checks_input_and_ownership(app: Flask) -> None:
    op, stream = connected(app)
    other = make_actor(app, "operator")
    cases: list[tuple[Actor, int, dict[str, Any], int]] = [
        (op, stream, {"broadcaster_id": "abc", "access_token": "x"}, 400),
        (op, stream, {"broadcaster_id": "1", "access_token": ""}, 400),
        (op, stream, {"broadcaster_id": "1"}, 400),
        (op, stream, {"broadcaster_id": "1", "access_token": "x", "extra": 1}, 400),
        (other, stream, {"broadcaster_id": "1", "access_token": "x"}, 404),
        (op, 999_999, {"broadcaster_id": "1", "access_token": "x"}, 404),
    ]
    for actor, sid, body, status in cases:
        r = app.test_client().put(f"/api/streams/{sid}/twitch", json=body, headers=actor.headers)
        assert r.status_code == status, (body, r.get_json())
        assert "error" in r.get_json()


def test_the_fake_refuses_what_twitch_refuses(helix: tuple[FakeHelix, HelixClient]) -> None:
    fake, client = helix
    ok = ["YES", "NO"]
    bad: list[tuple[Any, type[Exception]]] = [
        (lambda: client.create_prediction("nope", BROADCASTER, "t", ok, 60), PermissionDenied),
        (lambda: client.create_prediction(TOKEN, "999", "t", ok, 60), PermissionDenied),
        (lambda: client.create_prediction(TOKEN, BROADCASTER, "x" * 46, ok, 60), ValidationFailed),
        (lambda: client.create_prediction(TOKEN, BROADCASTER, "", ok, 60), ValidationFailed),
        (lambda: client.create_prediction(TOKEN, BROADCASTER, "t", ["A"], 60), ValidationFailed),
        (
            lambda: client.create_prediction(TOKEN, BROADCASTER, "t", list("ABCDEFGHIJK"), 60),
            ValidationFailed,
        ),
        (
            lambda: client.create_prediction(TOKEN, BROADCASTER, "t", ["y" * 26, "n"], 60),
            ValidationFailed,
        ),
        (lambda: client.create_prediction(TOKEN, BROADCASTER, "t", ok, 29), ValidationFailed),
        (lambda: client.create_prediction(TOKEN, BROADCASTER, "t", ok, 1801), ValidationFailed),
    ]
    for call, error in bad:
        with pytest.raises(error):
            call()
    assert fake.predictions == {}
    wrong_client = HelixClient(client.base_url, "someone-else")
    with pytest.raises(PermissionDenied):
        wrong_client.create_prediction(TOKEN, BROADCASTER, "t", ok, 60)
    r = requests.post(  # a window as a string: refused
        f"{client.base_url}/predictions",
        json={
            "broadcaster_id": BROADCASTER,
            "title": "t",
            "outcomes": [{"title": "a"}, {"title": "b"}],
            "prediction_window": "60",
        },
        headers={"Authorization": f"Bearer {TOKEN}", "Client-Id": CLIENT_ID},
        timeout=5,
    )
    assert r.status_code == 400 and r.json()["status"] == 400

    made = client.create_prediction(TOKEN, BROADCASTER, "t", ok, 60)
    with pytest.raises(ValidationFailed):  # one running prediction per channel
        client.create_prediction(TOKEN, BROADCASTER, "again", ok, 60)
    with pytest.raises(ValidationFailed):  # RESOLVED needs the winner
        client.end_prediction(TOKEN, BROADCASTER, made.id, "RESOLVED")
    with pytest.raises(ValidationFailed):  # ...one of its own outcomes
        client.end_prediction(TOKEN, BROADCASTER, made.id, "RESOLVED", "not-an-outcome")
    with pytest.raises(NotFound):
        client.end_prediction(TOKEN, BROADCASTER, "no-such-id", "LOCKED")
    with pytest.raises(ValidationFailed):
        client.end_prediction(TOKEN, BROADCASTER, made.id, "ACTIVE")
    assert client.end_prediction(TOKEN, BROADCASTER, made.id, "LOCKED").status == "LOCKED"
    with pytest.raises(ValidationFailed):  # LOCKED -> LOCKED is no change Twitch allows
        client.end_prediction(TOKEN, BROADCASTER, made.id, "LOCKED")
    done = client.end_prediction(TOKEN, BROADCASTER, made.id, "RESOLVED", made.outcome_ids[1])
    assert done.status == "RESOLVED"
    with pytest.raises(ValidationFailed):  # ended is ended
        client.end_prediction(TOKEN, BROADCASTER, made.id, "CANCELED")
    client.create_prediction(TOKEN, BROADCASTER, "next", ok, 1800)  # the channel is free again


def test_the_worker_mirrors_with_the_settings(
    base_config: dict[str, Any], database_url: str
) -> None:
    """STREAMBET_TWITCH_CLIENT_ID and _HELIX_URL set: the worker's live-market sweep
    creates and locks the prediction by itself."""
    from streambet import create_app
    from streambet.worker import Worker

    with fake_helix({TOKEN: BROADCASTER}) as (fake, url):
        config = {"twitch_client_id": CLIENT_ID, "twitch_helix_url": url, "live_max_streams": 0}
        app = create_app({**base_config, **config, "database_url": database_url})
        w = app.extensions["streambet"]
        consumer = Worker(w, workers=1)
        consumer.start()
        try:
            op, stream = connected(app)
            t0 = now_ms()
            market = person_market(app, op.principal, stream, t0 + 60_000, t0 + 120_000).market
            _wait_for(lambda: [p["status"] for p in fake.predictions.values()] == ["ACTIVE"])
            markets.lock_market(w.uow(), market.id, by=None)
            _wait_for(lambda: [p["status"] for p in fake.predictions.values()] == ["LOCKED"])
        finally:
            consumer.stop()
            w.close()


def _wait_for(check: Any, limit: float = 30.0) -> None:
    deadline = time.monotonic() + limit
    while not check():
        assert time.monotonic() < deadline, "the worker did not get there"
        time.sleep(0.1)
