"""The settleable vocabulary: the local engine settles by itself only on labels whose
precision at the bar was measured (bench/accuracy.py, data/calibration.json). A market on
any other label is accepted, the API says before creation that a person will decide it,
and its settlement goes to review whatever the engine reports."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask

from streambet import create_app
from streambet.services import markets, settlement
from tests.support.api import make_actor
from tests.support.betting import sample, timeline


def _check(app: Flask, headers: dict[str, str], body: dict[str, Any]) -> Any:
    return app.test_client().post("/api/markets/check", json=body, headers=headers)


@pytest.fixture
def local(base_config: dict[str, Any], database_url: str) -> Iterator[Flask]:
    """The app with the local engine configured (nothing loads a model here)."""
    app = create_app({**base_config, "database_url": database_url, "analysis_backend": "local"})
    try:
        yield app
    finally:
        app.extensions["streambet"].close()


def test_the_api_says_before_creation_who_settles(local: Flask, app: Flask) -> None:
    operator = make_actor(local, "operator")
    fireworks = _check(local, operator.headers, {"criteria": {"label": "Fireworks"}})
    assert fireworks.status_code == 200
    assert fireworks.get_json()["settles"] == "review"
    assert fireworks.get_json()["unmeasured_labels"] == ["Fireworks"]
    assert "person" in fireworks.get_json()["message"]
    person = _check(local, operator.headers, {"criteria": {"label": "person"}}).get_json()
    assert person == {
        "settles": "engine",
        "unmeasured_labels": [],
        "message": "The engine settles this market from its evidence.",
    }
    several = {
        "outcomes": [
            {"title": "Car", "criteria": {"label": "Car"}},
            {"title": "Harmonica", "criteria": {"not": {"label": "Harmonica"}}},
            {"title": "Neither", "criteria": None},
        ]
    }
    assert _check(local, operator.headers, several).get_json()["unmeasured_labels"] == ["Harmonica"]
    unknown = _check(local, operator.headers, {"criteria": {"label": "Unicorn"}})
    assert unknown.status_code == 400
    assert unknown.get_json()["error"]["details"]["field"] == "outcomes.0.criteria.label"
    bettor = make_actor(app)
    assert _check(app, bettor.headers, {"criteria": {"label": "Car"}}).status_code == 403
    # another engine (the fake one here) was not measured: it settles as it always did
    other = make_actor(app, "operator")
    fake = _check(app, other.headers, {"criteria": {"label": "Fireworks"}}).get_json()
    assert fake["settles"] == "engine"


def test_an_unmeasured_label_goes_to_review_even_at_100(app: Flask) -> None:
    """'Will there be fireworks?' once paid YES on a hand holding a biscuit box."""
    w = app.extensions["streambet"]
    operator = make_actor(app, "operator").principal
    made = {
        label: markets.create_market(
            w.uow(),
            w.vocabulary,
            operator,
            f"Will there be {label}?",
            [markets.OutcomeDraft("YES", {"label": label}), markets.OutcomeDraft("NO")],
        )
        for label in ("Fireworks", "Person")
    }
    seen = timeline([sample(t, name, 100) for t in (0, 500) for name in ("Fireworks", "Person")])
    assert seen.engine == "local"
    fireworks = settlement.settle_with_timeline(
        w.uow(), made["Fireworks"].id, seen, w.settlement_policy
    )
    assert fireworks.market.status == "review"
    assert fireworks.decision is not None
    assert "precision is not measured for Fireworks" in fireworks.decision.reason
    person = settlement.settle_with_timeline(w.uow(), made["Person"].id, seen, w.settlement_policy)
    assert person.market.status == "resolved"
    assert person.market.winning_outcome_id == made["Person"].outcomes[0].id
