"""A recorded GetLabelDetection response settles markets end to end: Rekognition's shape
-> Timeline -> stored analysis -> markets created, backed and locked through the API ->
the consumer's betting sweep settles from that evidence and pays exactly."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from streambet import create_app
from streambet.worker import sweep_betting
from tests.support import databases
from tests.support.api import make_actor
from tests.support.betting import fund, verify_ledger
from tests.support.recorded import store_recorded_analysis


@pytest.fixture
def app(base_config: dict[str, Any], tmp_path: Path) -> Any:
    with databases.sqlite_database(tmp_path) as url:
        # a recorded (already finished) analysis: markets on it carry the disclosure
        app = create_app(
            {
                **base_config,
                "database_url": url,
                "dispute_window_seconds": 0,
                "markets_on_analysed_footage": "disclose",
            }
        )
        yield app
        app.extensions["streambet"].close()


def test_recorded_rekognition_evidence_settles_and_pays(app: Flask) -> None:
    client = app.test_client()
    operator = make_actor(app, "operator")
    alice, bob = make_actor(app), make_actor(app)
    for bettor in (alice, bob):
        fund(app, bettor.user_id, 1_000)
    balance_before = {
        b.email: client.get("/api/me", headers=b.headers).get_json()["balance"]
        for b in (alice, bob)
    }
    analysis_id = store_recorded_analysis(app, operator.user_id)

    def market(question: str, criteria: dict[str, Any]) -> dict[str, Any]:
        body = {
            "question": question,
            "criteria": criteria,
            "analysis_id": analysis_id,
            "takeout_bp": 1000,
        }
        r = client.post("/api/markets", json=body, headers=operator.headers)
        assert r.status_code == 201, r.get_json()
        return r.get_json()

    # Dog at 91-96 between 4 s and 6 s: a confident YES ("Animal" matches it through Parents).
    dog = market("Will an animal appear in the first 8 s?", {"label": "Animal", "end_ms": 8000})
    # Car only at 62.4: inside the review band, so nobody is paid on a guess.
    car = market("Will a car appear?", {"label": "Car", "min_confidence": 80})
    for m, stakes in ((dog, (400, 600)), (car, (100, 100))):
        yes, no = (o["id"] for o in m["outcomes"])
        for bettor, outcome, stake in ((alice, yes, stakes[0]), (bob, no, stakes[1])):
            r = client.post(
                f"/api/markets/{m['id']}/wagers",
                json={"outcome_id": outcome, "stake": stake},
                headers=bettor.headers,
            )
            assert r.status_code == 201, r.get_json()
        assert (
            client.post(f"/api/markets/{m['id']}/lock", headers=operator.headers).status_code == 200
        )

    w = app.extensions["streambet"]
    first = sweep_betting(w)
    assert sorted(first.settled) == sorted([dog["id"], car["id"]])  # both decided
    sweep_betting(w)  # dispute window of zero: the payout is due at once

    settled = client.get(f"/api/markets/{dog['id']}", headers=operator.headers).get_json()
    assert settled["status"] == "resolved"
    assert settled["winning_outcome_id"] == dog["outcomes"][0]["id"]
    evidence = settled["settlement"]["evidence"]
    assert evidence["model_version"] == "3.0"
    times = {d["timestamp_ms"] for o in evidence["outcomes"] for d in o["detections"]}
    assert times and times <= {4000, 5000, 6000}
    assert (
        client.get(f"/api/markets/{car['id']}", headers=operator.headers).get_json()["status"]
        == "review"
    )

    after = {
        b.email: client.get("/api/me", headers=b.headers).get_json()["balance"]
        for b in (alice, bob)
    }
    # Pool 1000, takeout 10 % -> 900 to the only winning stake; the car stakes stay held.
    assert after[alice.email] == balance_before[alice.email] - 400 - 100 + 900
    assert after[bob.email] == balance_before[bob.email] - 600 - 100
    assert verify_ledger(app) == []
