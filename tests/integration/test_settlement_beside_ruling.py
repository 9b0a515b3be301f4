"""A human ruling is recorded beside the engine's evidence, never instead of it: after an
admin rules (on a review, on a dispute, by canceling), the market still carries the
engine's decision with its detections, and the ruling says who decided and their note.
On SQLite and PostgreSQL."""

from __future__ import annotations

from flask import Flask

from streambet.services import disputes, markets, settlement
from streambet.services.disputes import Ruling
from tests.support.api import make_actor
from tests.support.betting import bet, cat_market, fund, sample, timeline


def test_the_engines_evidence_stays_beside_each_ruling(any_db_app: Flask) -> None:
    app = any_db_app
    w = app.extensions["streambet"]
    op = make_actor(app, "operator", "olga@example.test")
    admin = make_actor(app, "admin", "ada@example.test")
    m = cat_market(app, op.principal)
    assert m.creator == "olga" and m.engine_settlement is None
    yes, no = (o.id for o in m.outcomes)
    loser = make_actor(app)
    fund(app, loser.user_id, 1_000)
    bet(app, loser.principal, m.id, no, 500)

    unsure = timeline([sample(1000, "Cat", 65), sample(1500, "Cat", 66)])
    decided = settlement.settle_with_timeline(w.uow(), m.id, unsure, w.settlement_policy)
    assert decided.market.status == "review"
    engine = decided.market.engine_settlement
    assert engine is not None and engine == decided.market.settlement
    assert engine.decided_by_name is None  # the engine decided

    ruled = settlement.resolve_manually(
        w.uow(), m.id, yes, admin.principal, w.settlement_policy, note="Plainly a cat."
    )
    assert ruled.settlement is not None and ruled.settlement.source == "admin"
    assert ruled.settlement.decided_by_name == "ada"
    assert ruled.settlement.reason == "Plainly a cat."
    assert ruled.engine_settlement == engine  # kept, detections and all
    detections = engine.evidence["outcomes"][0]["detections"]  # type: ignore[index]
    assert detections and {d["label"] for d in detections} == {"Cat"}

    # A dispute and its ruling: the engine's decision is still the one beside it.
    dispute = disputes.open_dispute(w.uow(), m.id, loser.user_id, "Not a cat.")
    disputes.decide_dispute(
        w.uow(), dispute.id, admin.user_id, Ruling(uphold=True, note="Seen again: a cat.")
    )
    after = markets.get_market(w.read_uow(), m.id)
    assert after.settlement is not None and after.settlement.source == "dispute"
    assert after.settlement.decided_by_name == "ada"
    assert after.engine_settlement == engine
