"""A market on footage: only on your own analysis (an admin may use anyone's), since a
market shows its evidence to every bettor once it locks; only on footage the engine has not
looked at yet, unless STREAMBET_MARKETS_ON_ANALYSED_FOOTAGE=disclose (then bettors are
told); and the labels that footage's engine reported are known to its criteria, even where
the local taxonomy has no such label."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask

from streambet import create_app
from streambet.domain.criteria import FootageVocabulary
from streambet.timeline import LabelInfo
from tests.support.api import Actor, make_actor, upload
from tests.support.betting import Vocabulary
from tests.support.recorded import store_recorded_analysis


def _create(app: Flask, who: Actor, analysis_id: str | None, label: str) -> Any:
    body: dict[str, Any] = {"question": f"{label}?", "criteria": {"label": label}}
    if analysis_id is not None:
        body["analysis_id"] = analysis_id
    return app.test_client().post("/api/markets", json=body, headers=who.headers)


@pytest.fixture
def disclosing(base_config: dict[str, Any], database_url: str) -> Iterator[Flask]:
    app = create_app(
        {**base_config, "database_url": database_url, "markets_on_analysed_footage": "disclose"}
    )
    try:
        yield app
    finally:
        app.extensions["streambet"].close()


def test_a_market_on_analysed_footage_is_refused_by_default(app: Flask) -> None:
    operator = make_actor(app, "operator")
    analysed = store_recorded_analysis(app, operator.user_id)
    refused = _create(app, operator, analysed, "Dog")
    assert refused.status_code == 409, refused.get_json()
    error = refused.get_json()["error"]
    assert error["code"] == "footage_already_analysed"
    assert error["details"]["field"] == "analysis_id"
    assert "hold=true" in error["message"]


def test_a_market_opened_before_the_analysis_carries_no_disclosure(
    app: Flask, tiny_clip: bytes
) -> None:
    operator = make_actor(app, "operator")
    held = upload(app, operator, tiny_clip, [], hold=True)
    created = _create(app, operator, held, "Cat")
    assert created.status_code == 201, created.get_json()
    body = created.get_json()
    assert body["footage_analysed_before_open"] is False and body["disclosure"] is None
    assert body["evidence"] == "engine"
    job = app.test_client().get(f"/api/analyses/{held}", headers=operator.headers).get_json()
    assert job["status"] == "held" and job["progress"] == 0


def test_disclose_allows_it_and_tells_bettors(disclosing: Flask) -> None:
    operator, bettor = make_actor(disclosing, "operator"), make_actor(disclosing)
    analysed = store_recorded_analysis(disclosing, operator.user_id)
    created = _create(disclosing, operator, analysed, "Dog")
    assert created.status_code == 201, created.get_json()
    seen = disclosing.test_client().get(
        f"/api/markets/{created.get_json()['id']}", headers=bettor.headers
    )
    body = seen.get_json()
    assert body["footage_analysed_before_open"] is True
    assert body["disclosure"] == "The footage was analysed before betting opened."


def test_only_the_owner_or_an_admin_builds_a_market_on_footage(disclosing: Flask) -> None:
    app = disclosing
    owner, other = make_actor(app, "operator"), make_actor(app, "operator")
    admin = make_actor(app, "admin")
    analysis_id = store_recorded_analysis(app, owner.user_id)
    refused = _create(app, other, analysis_id, "Dog")
    assert refused.status_code == 404
    assert refused.get_json()["error"]["details"] == {"field": "analysis_id"}
    missing = _create(app, owner, uuid.uuid4().hex, "Dog")
    assert missing.status_code == 404
    assert _create(app, owner, analysis_id, "Dog").status_code == 201
    assert _create(app, admin, analysis_id, "Dog").status_code == 201
    listed = app.test_client().get(f"/api/markets?analysis_id={analysis_id}", headers=owner.headers)
    assert listed.get_json()["total"] == 2


def test_a_label_only_the_footage_engine_knows_is_accepted_on_that_footage(
    disclosing: Flask,
) -> None:
    app = disclosing
    operator = make_actor(app, "operator")
    analysis_id = store_recorded_analysis(app, operator.user_id)
    # "Pet" is a Rekognition parent of the recorded Dog; the local taxonomy has no "Pet".
    assert app.extensions["streambet"].vocabulary.resolve("Pet") is None
    unknown = _create(app, operator, None, "Pet")
    assert unknown.status_code == 400
    assert "Unknown label" in unknown.get_json()["error"]["message"]
    created = _create(app, operator, analysis_id, "pet")
    assert created.status_code == 201, created.get_json()
    assert created.get_json()["outcomes"][0]["criteria"]["label"] == "Pet"


def test_footage_vocabulary_prefers_the_base_spelling() -> None:
    seen = {
        "Dog": LabelInfo("Dog", parents=("Pet", "Animal"), aliases=("Canine",)),
        "Sedan": LabelInfo("Sedan", parents=("Car",)),
    }
    vocab = FootageVocabulary(Vocabulary(), seen)
    assert vocab.resolve("cat") == Vocabulary().resolve("Cat")  # not in the footage at all
    assert vocab.resolve("animal") == Vocabulary().resolve("Animal")  # base spelling wins
    assert vocab.resolve("canine") == seen["Dog"]
    assert vocab.resolve("PET") == LabelInfo("Pet")
    assert vocab.resolve("Truck") is None
