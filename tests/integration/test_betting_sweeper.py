"""The periodic job locks closed markets, settles them from their analysis, pays them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from flask import Flask

from streambet.adapters.payments.play import PlayProvider
from streambet.domain.markets import FootagePolicy
from streambet.services import sweeper, wallet
from streambet.services.settlement import SettlementPolicy
from streambet.timeline import Timeline
from tests.support.api import make_actor
from tests.support.betting import bet, cat_market, fund, sample, timeline, verify_ledger
from tests.support.recorded import store_recorded_analysis


class Timelines:
    def __init__(self, by_id: dict[str, Timeline]) -> None:
        self.by_id = by_id

    def timeline_for(self, analysis_id: str) -> Timeline | None:
        return self.by_id.get(analysis_id)


def test_sweep_locks_settles_and_pays(any_db_app: Flask) -> None:
    w = any_db_app.extensions["streambet"]
    op, b = make_actor(any_db_app, "operator"), make_actor(any_db_app)
    fund(any_db_app, b.user_id, 100)
    now = datetime.now(UTC)
    footage = store_recorded_analysis(any_db_app, op.user_id)
    m = cat_market(
        any_db_app,
        op.principal,
        analysis_id=footage,
        footage_policy=FootagePolicy.DISCLOSE,  # a recorded analysis: already finished
        takeout_bp=0,
        closes_at=now + timedelta(minutes=5),
    )
    bet(any_db_app, b.principal, m.id, m.outcomes[0].id, 60)
    source = Timelines({})
    policy = SettlementPolicy(dispute_window=timedelta(minutes=10))
    provider = PlayProvider()

    def run(at: datetime) -> sweeper.SweepReport:
        return sweeper.sweep(w.uow, w.read_uow, source, policy, provider, now=at)

    assert run(now) == sweeper.SweepReport()
    report = run(now + timedelta(minutes=6))
    assert report.locked == [m.id] and report.settled == []  # no analysis yet
    source.by_id[footage] = timeline([sample(500, "Cat", 96)])
    assert run(now + timedelta(minutes=7)).settled == [m.id]
    assert run(now + timedelta(minutes=8)).paid == []  # dispute window still open
    assert run(now + timedelta(minutes=16, seconds=59)).paid == []
    later = now + timedelta(minutes=17)  # settled at +7 min, 10 min dispute window
    assert run(later).paid == [m.id]
    assert run(later + timedelta(minutes=1)) == sweeper.SweepReport()
    assert wallet.balance(w.read_uow(), b.user_id) == 100
    assert verify_ledger(any_db_app) == []
