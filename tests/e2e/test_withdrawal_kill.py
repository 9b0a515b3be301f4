"""A withdrawal is paid exactly once even when the worker sending it is killed between the
provider's answer and the ledger write: a real subprocess is SIGKILLed at that point,
then the next try asks the provider again with the same idempotency key, gets the same
answer and books it once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from flask import Flask

from streambet.domain.payments import PayoutStatus
from streambet.services import wallet, withdrawals
from tests.support.api import make_actor
from tests.support.betting import fund, verify_ledger
from tests.support.kill import kill_at


@pytest.mark.slow
@pytest.mark.parametrize("stage", ["provider answered", "ready to commit"])
def test_killed_after_the_providers_answer_pays_exactly_once(any_db_app: Flask, stage: str) -> None:
    app = any_db_app
    w = app.extensions["streambet"]
    a = make_actor(app)
    fund(app, a.user_id, 1_000)
    made = withdrawals.request_withdrawal(w.uow(), w.payments.policy, "play", a.user_id, 600)
    kill_at(
        app,
        stage,
        f"""
        from streambet.services import withdrawals
        withdrawals.send_one(w.uow, w.payments.payouts, {made.id}, checkpoint=checkpoint)
        """,
    )

    provider = w.payments.payouts
    payouts = [r for r in provider.records() if r["direction"] == "payout"]
    assert [r["amount"] for r in payouts] == [600]  # the provider paid...
    killed = withdrawals.withdrawal_of(w.read_uow(), a.user_id, made.id)
    assert (killed.status, killed.attempts) == ("queued", 1)  # ...and nothing was booked
    assert wallet.balance(w.read_uow(), a.user_id) == 400
    assert verify_ledger(app) == []
    assert withdrawals.send_due(w.uow, w.read_uow, provider) == 0  # not before its backoff

    later = datetime.now(UTC) + timedelta(minutes=5)
    assert withdrawals.send_one(w.uow, provider, made.id, later) is PayoutStatus.PAID
    assert withdrawals.send_one(w.uow, provider, made.id, later) is None
    assert len([r for r in provider.records() if r["direction"] == "payout"]) == 1
    paid = withdrawals.withdrawal_of(w.read_uow(), a.user_id, made.id)
    assert (paid.status, paid.attempts, paid.balance) == ("paid", 2, 400)
    assert verify_ledger(app) == []
