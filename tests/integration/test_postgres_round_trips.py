"""Round trips to PostgreSQL per request on the hot paths, counted on the wire (libpq's
protocol trace): what bench/betting.py's PostgreSQL / SQLite ratio pays for per request."""

from __future__ import annotations

import pytest
from flask import Flask

from streambet.domain.pools import decimal_odds
from streambet.services import events
from tests.support import wire
from tests.support.api import make_actor
from tests.support.betting import cat_market, fund

pytestmark = pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)


def test_get_me_is_one_statement_with_the_token_check(app: Flask) -> None:
    bettor = make_actor(app)
    fund(app, bettor.user_id, 250)
    client = app.test_client()
    with wire.traced(app.extensions["streambet"].db.engine) as sent:
        response = client.get("/api/me", headers=bettor.headers)
    assert response.status_code == 200 and response.get_json()["balance"] == 250
    # the token's row and the balance in one read, no BEGIN or ROLLBACK around it
    assert sent.round_trips == 1, sent.lines
    assert sent.statements == 1 and sent.mentions("api_token"), sent.lines


def test_a_wager_is_one_call_that_checks_the_token_and_returns_the_odds(app: Flask) -> None:
    operator, bettor = make_actor(app, "operator"), make_actor(app)
    fund(app, bettor.user_id, 100)
    market = cat_market(app, operator.principal, takeout_bp=0)
    yes, no = (o.id for o in market.outcomes)
    client = app.test_client()
    w = app.extensions["streambet"]
    with w.events.subscribe(events.ODDS) as heard, wire.traced(w.db.engine) as sent:
        response = client.post(
            f"/api/markets/{market.id}/wagers",
            json={"outcome_id": yes, "stake": 10},
            headers=bettor.headers,
        )
        w.wagers.close()  # its thread publishes the odds after answering: wait for it
        odds = heard.get(timeout=30)
    assert response.status_code == 201 and response.get_json()["balance"] == 90
    # a batch of one here; under load one batch serves many requests
    assert sent.round_trips == 1, "\n".join(sent.lines)
    assert sent.statements == 1 and sent.mentions("streambet_place_wagers")
    # the pools this wager left, from the same call
    assert odds is not None and odds.payload == {
        "market_id": market.id,
        "pool": 10,
        "outcomes": [
            {"id": o, "pool": pool, "odds": decimal_odds({yes: 10, no: 0}, 0)[o]}
            for o, pool in ((yes, 10), (no, 0))
        ],
    }


def test_a_refused_token_costs_the_wager_call_only(app: Flask) -> None:
    operator, bettor = make_actor(app, "operator"), make_actor(app)
    fund(app, bettor.user_id, 100)
    market = cat_market(app, operator.principal)
    client = app.test_client()
    w = app.extensions["streambet"]
    client.post("/api/auth/logout", headers=bettor.headers)
    with wire.traced(w.db.engine) as sent:
        response = client.post(
            f"/api/markets/{market.id}/wagers",
            json={"outcome_id": market.outcomes[0].id, "stake": 10},
            headers=bettor.headers,
        )
    assert response.status_code == 401
    assert response.get_json()["error"]["message"] == "That token was revoked."
    assert sent.round_trips == 1 and sent.mentions("streambet_place_wagers"), sent.lines
