"""Deposit states and credits, partial payments, amounts, payout backoff and approvals."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from streambet.domain.errors import ValidationFailed
from streambet.domain.payments import (
    Decision,
    DepositReport,
    DepositStatus,
    ReportKind,
    backoff,
    check_destination,
    decide,
    needs_approval,
    partial_arrived,
    to_major,
    to_minor,
)

S = DepositStatus


def report(kind: ReportKind, arrived: int = 0, amount: int = 1000, currency: str = "eur"):
    return DepositReport(kind, amount, currency, arrived)


def test_success_credits_the_whole_amount_once() -> None:
    first = decide(S.CREATED, 1000, "eur", 0, report(ReportKind.SUCCEEDED, 1000))
    assert (first.decision, first.status, first.credit) == (Decision.APPLIED, S.CREDITED, 1000)
    again = decide(S.CREDITED, 1000, "eur", 1000, report(ReportKind.SUCCEEDED, 1000))
    assert (again.decision, again.credit) == (Decision.SAME, 0)


@pytest.mark.parametrize("late", [ReportKind.WAITING, ReportKind.PROGRESS, ReportKind.FAILED])
def test_an_older_state_after_success_changes_nothing(late: ReportKind) -> None:
    change = decide(S.CREDITED, 1000, "eur", 1000, report(late))
    assert (change.decision, change.status, change.credit) == (Decision.NO_CHANGE, S.CREDITED, 0)


def test_progress_moves_forward_and_waiting_after_it_is_out_of_order() -> None:
    assert decide(S.CREATED, 1000, "eur", 0, report(ReportKind.PROGRESS)).status is S.PENDING
    back = decide(S.PENDING, 1000, "eur", 0, report(ReportKind.WAITING))
    assert back.decision is Decision.NO_CHANGE and back.status is S.PENDING


def test_money_for_a_failed_deposit_is_recorded_not_credited() -> None:
    failed = decide(S.CREATED, 1000, "eur", 0, report(ReportKind.FAILED))
    assert (failed.decision, failed.status) == (Decision.APPLIED, S.FAILED)
    late = decide(S.FAILED, 1000, "eur", 0, report(ReportKind.SUCCEEDED, 1000))
    assert (late.decision, late.credit) == (Decision.CLOSED, 0) and late.review


def test_partial_payment_credits_what_arrived_flags_it_and_tops_up_later() -> None:
    part = decide(S.CREATED, 1000, "eur", 0, report(ReportKind.PARTIAL, 250))
    assert (part.status, part.credit) == (S.PARTIAL, 250) and "partially paid" in str(part.review)
    rest = decide(S.PARTIAL, 1000, "eur", 250, report(ReportKind.SUCCEEDED, 1000))
    assert (rest.status, rest.credit, rest.review) == (S.CREDITED, 750, None)
    lower = decide(S.PARTIAL, 1000, "eur", 250, report(ReportKind.PARTIAL, 100))
    assert lower.credit == 0


@pytest.mark.parametrize(
    "bad",
    [
        report(ReportKind.SUCCEEDED, 1000, amount=999),
        report(ReportKind.SUCCEEDED, 1000, currency="usd"),
    ],
)
def test_wrong_amount_or_currency_is_a_mismatch(bad: DepositReport) -> None:
    change = decide(S.CREATED, 1000, "eur", 0, bad)
    assert (change.decision, change.credit, change.status) == (Decision.MISMATCH, 0, S.CREATED)


def test_a_refund_after_credit_goes_to_review_and_moves_nothing() -> None:
    change = decide(S.CREDITED, 1000, "eur", 1000, report(ReportKind.REFUNDED))
    assert (change.decision, change.credit, change.status) == (Decision.REVIEW, 0, S.CREDITED)


def test_partial_conversion_uses_the_providers_own_amounts() -> None:
    # 100.00 eur asked as 0.002 btc; 0.0005 btc arrived: a quarter, 25.00 eur
    assert partial_arrived(10_000, Decimal("0.002"), Decimal("0.0005")) == 2_500
    assert partial_arrived(10_000, Decimal("0.003"), Decimal("0.001")) == 3_333  # rounded down
    assert partial_arrived(10_000, Decimal("0.002"), Decimal("0.004")) == 10_000  # capped
    assert partial_arrived(10_000, Decimal("0"), Decimal("1")) == 0


def test_amounts_convert_exactly_or_are_refused() -> None:
    assert to_minor("12.5", "eur") == 1250 and to_minor(170, "usd") == 17_000
    assert to_minor("500", "jpy") == 500
    assert to_major(1250, "eur") == Decimal("12.50")
    with pytest.raises(ValidationFailed):
        to_minor("12.345", "eur")
    with pytest.raises(ValidationFailed):
        to_minor("twelve", "eur")


def test_backoff_doubles_to_a_cap_and_stays_inside_stripes_key_lifetime() -> None:
    waits = [backoff(n) for n in range(1, 9)]
    assert waits[:3] == [timedelta(seconds=30), timedelta(minutes=1), timedelta(minutes=2)]
    assert max(waits) == timedelta(minutes=30)
    assert sum(waits, timedelta()) < timedelta(hours=24)


def test_approval_threshold_and_destinations() -> None:
    assert needs_approval(100_001, 100_000) and not needs_approval(100_000, 100_000)
    assert not needs_approval(10**9, 0)
    assert check_destination("stripe", " acct_1Abc ") == "acct_1Abc"
    assert check_destination("play", "") == "play"
    with pytest.raises(ValidationFailed):
        check_destination("stripe", "my bank")
