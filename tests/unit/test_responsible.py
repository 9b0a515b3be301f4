"""Deposit limits (lower at once, raise after 24 h), self-exclusion and the minimum age."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from streambet.domain.errors import PermissionDenied, ValidationFailed
from streambet.domain.responsible import (
    Limit,
    LimitPeriod,
    change_limit,
    check_age,
    check_deposit,
    check_not_excluded,
    exclusion_end,
)

NOW = datetime(2030, 5, 1, 12, tzinfo=UTC)
DAY = LimitPeriod.DAY


def test_lowering_applies_at_once_raising_after_24_hours() -> None:
    limit = change_limit(Limit(DAY, None), 5_000, NOW)
    assert limit.effective(NOW) == 5_000
    raised = change_limit(limit, 9_000, NOW)
    assert raised.effective(NOW + timedelta(hours=23)) == 5_000
    assert raised.effective(NOW + timedelta(hours=24)) == 9_000
    lowered = change_limit(raised, 1_000, NOW + timedelta(hours=1))
    assert lowered.effective(NOW + timedelta(hours=1)) == 1_000
    assert lowered.next_from is None  # the waiting raise is gone


def test_removing_a_limit_counts_as_raising_it() -> None:
    removed = change_limit(Limit(DAY, 5_000), None, NOW)
    assert removed.effective(NOW) == 5_000
    assert removed.effective(NOW + timedelta(days=1)) is None
    with pytest.raises(ValidationFailed):
        change_limit(Limit(DAY, 5_000), 0, NOW)


def test_a_deposit_over_any_period_limit_is_refused() -> None:
    limits = [Limit(DAY, 5_000), Limit(LimitPeriod.MONTH, 20_000)]
    check_deposit(2_000, limits, {DAY: 3_000}, NOW)
    with pytest.raises(PermissionDenied) as refused:
        check_deposit(2_001, limits, {DAY: 3_000}, NOW)
    assert refused.value.code == "deposit_limit"
    with pytest.raises(PermissionDenied):
        check_deposit(1_000, limits, {LimitPeriod.MONTH: 19_500}, NOW)


def test_self_exclusion_blocks_until_it_ends_and_only_extends() -> None:
    end = exclusion_end(None, 7, NOW)
    with pytest.raises(PermissionDenied) as refused:
        check_not_excluded(end, NOW + timedelta(days=6), "wagers")
    assert refused.value.code == "self_excluded"
    check_not_excluded(end, end, "wagers")
    assert exclusion_end(end, 1, NOW) == end  # a shorter one does not shorten it
    assert exclusion_end(end, 30, NOW) == NOW + timedelta(days=30)
    with pytest.raises(ValidationFailed):
        exclusion_end(None, 0, NOW)


def test_age_is_checked_to_the_day() -> None:
    check_age(date(2012, 5, 1), date(2030, 5, 1))
    with pytest.raises(ValidationFailed) as young:
        check_age(date(2012, 5, 2), date(2030, 5, 1))
    assert young.value.code == "under_age"
    with pytest.raises(ValidationFailed):
        check_age(date(2031, 1, 1), date(2030, 5, 1))
