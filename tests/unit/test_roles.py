"""Role rules: the ranking every route's @requires uses, and who may stake."""

from __future__ import annotations

import pytest

from streambet.domain.accounts import Role, check_may_wager, check_role
from streambet.domain.errors import PermissionDenied
from streambet.domain.markets import check_manager


def test_admin_outranks_operator_outranks_bettor() -> None:
    assert Role.ADMIN.at_least(Role.OPERATOR) and Role.OPERATOR.at_least(Role.BETTOR)
    assert not Role.BETTOR.at_least(Role.OPERATOR)
    check_role(Role.ADMIN, Role.ADMIN)
    with pytest.raises(PermissionDenied, match="needs the operator role"):
        check_role(Role.BETTOR, Role.OPERATOR)


def test_only_bettors_stake_and_only_a_markets_maker_or_an_admin_manages_it() -> None:
    check_may_wager(Role.BETTOR)
    for role in (Role.OPERATOR, Role.ADMIN):
        with pytest.raises(PermissionDenied, match="cannot place wagers"):
            check_may_wager(role)
    check_manager(created_by=7, user_id=7, role=Role.OPERATOR)
    check_manager(created_by=7, user_id=9, role=Role.ADMIN)
    with pytest.raises(PermissionDenied, match="created this market"):
        check_manager(created_by=7, user_id=9, role=Role.OPERATOR)
