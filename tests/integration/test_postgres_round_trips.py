"""Round trips to PostgreSQL per request on the hot paths, counted on the wire (libpq's
protocol trace): what bench/betting.py's PostgreSQL / SQLite ratio pays for per request."""

from __future__ import annotations

import pytest
from flask import Flask

from tests.support import wire
from tests.support.api import make_actor
from tests.support.betting import cat_market, fund

pytestmark = pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)


def test_get_me_is_the_token_check_and_one_read(app: Flask) -> None:
    bettor = make_actor(app)
    fund(app, bettor.user_id, 250)
    client = app.test_client()
    with wire.traced(app.extensions["streambet"].db.engine) as sent:
        response = client.get("/api/me", headers=bettor.headers)
    assert response.status_code == 200 and response.get_json()["balance"] == 250
    # no BEGIN or ROLLBACK around either read
    assert sent.round_trips == 2, sent.lines
    assert sent.statements == 2, sent.lines


def test_a_wager_is_the_token_check_its_batch_and_the_odds(app: Flask) -> None:
    operator, bettor = make_actor(app, "operator"), make_actor(app)
    fund(app, bettor.user_id, 100)
    market = cat_market(app, operator.principal)
    client = app.test_client()
    w = app.extensions["streambet"]
    with wire.traced(w.db.engine) as sent:
        response = client.post(
            f"/api/markets/{market.id}/wagers",
            json={"outcome_id": market.outcomes[0].id, "stake": 10},
            headers=bettor.headers,
        )
        w.wagers.close()  # its thread reads the odds after answering: wait for it
    assert response.status_code == 201 and response.get_json()["balance"] == 90
    # a batch of one here; under load one batch serves many requests
    assert sent.round_trips == 3, "\n".join(sent.lines)
    assert sent.statements == 3 and sent.mentions("streambet_place_wagers")
