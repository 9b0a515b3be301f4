from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from streambet.domain.errors import Conflict, ValidationFailed
from streambet.domain.ledger import MovementKind, transfer
from streambet.domain.markets import MarketStatus, check_terms, check_transition, check_wager
from streambet.domain.money import check_amount

NOW = datetime(2026, 1, 1, tzinfo=UTC)


def test_terms_limits() -> None:
    assert check_terms(" Cat? ", ["YES", "NO"], 500, 1, 100).question == "Cat?"
    for titles in (["YES"], [str(i) for i in range(11)], ["a", "A"], ["", "x"]):
        with pytest.raises(ValidationFailed):
            check_terms("q", titles, 0, 1, 10)
    with pytest.raises(ValidationFailed):
        check_terms("q", ["a", "b"], 5001, 1, 10)
    with pytest.raises(ValidationFailed):
        check_terms("q", ["a", "b"], 0, 10, 5)
    with pytest.raises(ValidationFailed):
        check_terms("q", ["a", "b"], 0, 1, 5, NOW, NOW)


def test_lifecycle_transitions() -> None:
    check_transition("open", MarketStatus.LOCKED)
    check_transition("locked", MarketStatus.REVIEW)
    check_transition("resolved", MarketStatus.DISPUTED)
    with pytest.raises(Conflict):
        check_transition("open", MarketStatus.RESOLVED)
    with pytest.raises(Conflict):
        check_transition("canceled", MarketStatus.OPEN)
    with pytest.raises(Conflict):
        check_transition("resolved", MarketStatus.CANCELED, paid=True)


def test_wagers_only_while_open_and_within_limits() -> None:
    check_wager("open", 5, 1, 10, NOW, None, None)
    with pytest.raises(Conflict):
        check_wager("locked", 5, 1, 10, NOW, None, None)
    with pytest.raises(Conflict):
        check_wager("open", 5, 1, 10, NOW, None, NOW)
    with pytest.raises(Conflict):
        check_wager("open", 5, 1, 10, NOW, NOW + timedelta(seconds=1), None)
    with pytest.raises(ValidationFailed):
        check_wager("open", 11, 1, 10, NOW, None, None)


def test_money_is_whole_positive_minor_units() -> None:
    assert check_amount(5) == 5
    for bad in (0, -1, 1.5, True, "5", 10**13):
        with pytest.raises(ValidationFailed):
            check_amount(bad)


def test_a_transfer_is_two_entries_that_sum_to_zero() -> None:
    a, b = transfer("stake:w1", MovementKind.STAKE, "wallet:1", "pool:1", 250)
    assert a.amount + b.amount == 0 and {a.account, b.account} == {"wallet:1", "pool:1"}
    with pytest.raises(ValueError):
        transfer("x", MovementKind.STAKE, "wallet:1", "wallet:1", 1)
