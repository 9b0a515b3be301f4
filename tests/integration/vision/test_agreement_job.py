"""Agreement mode end to end: the local engine is the primary, the scripted fake the second
opinion; both timelines are stored, the agreement report is served, and settlement with
STREAMBET_REQUIRE_AGREEMENT resolves only when the engines agree."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from streambet import create_app
from streambet.domain.markets import FootagePolicy
from streambet.services import markets, settlement
from tests.support.api import make_actor
from tests.support.databases import sqlite_database


@pytest.fixture
def agree_app(base_config: dict[str, Any], model_dir: Path, tmp_path: Path) -> Iterator[Flask]:
    config = {
        **base_config,
        "analysis_backend": "local",
        "model_dir": str(model_dir),
        "sample_fps": 2.0,
        "second_opinion_backend": "fake",
        "require_agreement": True,
        "auto_settle_confidence": 50.0,
        "review_floor_confidence": 30.0,
    }
    with sqlite_database(tmp_path) as url:
        app = create_app({**config, "database_url": url})
        yield app
        app.extensions["streambet"].close()


def _analyse(app: Flask, clip: Path, fake_labels: list[dict[str, Any]]) -> str:
    """The memory queue runs the job inside the request."""
    options = {"min_confidence": 30, "extra": {"fake_labels": fake_labels}}
    response = app.test_client().post(
        "/api/analyze",
        data={"options": json.dumps(options), "file": (io.BytesIO(clip.read_bytes()), "c.mp4")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 202, response.get_json()
    job_id: str = response.get_json()["job_id"]
    return job_id


def _settle(app: Flask, analysis_id: str) -> settlement.SettleResult:
    w = app.extensions["streambet"]
    admin = make_actor(app, "admin")  # the clip is the demo operator's; an admin may use it
    m = markets.create_market(
        w.uow(),
        w.vocabulary,
        admin.principal,
        "A person?",
        [markets.OutcomeDraft("YES", {"label": "Person"}), markets.OutcomeDraft("NO")],
        analysis_id=analysis_id,
        footage_policy=FootagePolicy.DISCLOSE,  # analysed first: what this test is about
        takeout_bp=0,
    )
    markets.lock_market(w.uow(), m.id, by=admin.principal)
    return settlement.settle_market(w.uow(), m.id, w.timelines, w.settlement_policy)


def test_second_opinion_is_stored_served_and_gates_settlement(
    agree_app: Flask, four_photo_clip: Path
) -> None:
    # the astronaut: a label the local engine settles on (measured, seen clearly)
    person = [{"name": "Person", "start_ms": 6000, "end_ms": 9000, "confidence": 90}]
    agreeing = _analyse(agree_app, four_photo_clip, person)
    state = agree_app.test_client().get(f"/api/analyses/{agreeing}?format=timeline").get_json()
    assert state["status"] == "succeeded" and state["progress"] == 100
    assert state["result"]["engine"] == "local"

    report = agree_app.test_client().get(f"/api/analyses/{agreeing}?format=agreement")
    body = report.get_json()["result"]
    assert body["engine_a"] == "local" and body["engine_b"] == "fake"
    assert body["labels"]["Person"]["agreed"], body["labels"]["Person"]

    agreed = _settle(agree_app, agreeing)
    assert agreed.decision is not None and agreed.decision.resolved
    assert agreed.market.status == "resolved"
    assert agreed.decision.evidence_json()["second_opinion"]["model_version"] == "fake-1"

    # The second engine sees nobody: the first's confident YES goes to review.
    disagreeing = _analyse(agree_app, four_photo_clip, [])
    reviewed = _settle(agree_app, disagreeing)
    assert reviewed.decision is not None and not reviewed.decision.resolved
    assert reviewed.market.status == "review"
    assert reviewed.decision.evidence_json()["reason"] == "engines disagree"


def test_without_a_second_opinion_the_agreement_format_is_refused(
    app: Flask, four_photo_clip: Path
) -> None:
    job_id = _analyse(app, four_photo_clip, [])
    response = app.test_client().get(f"/api/analyses/{job_id}?format=agreement")
    assert response.status_code == 409
    assert response.get_json()["error"]["code"] == "no_second_opinion"
    timeline = app.test_client().get(f"/api/analyses/{job_id}?format=timeline").get_json()
    assert timeline["result"]["engine"] == "fake"
