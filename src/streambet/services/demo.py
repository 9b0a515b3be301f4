"""Demo accounts for `make run` and for the original endpoints' compatibility mode."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from streambet.services import accounts
from streambet.services.accounts import Principal
from streambet.services.unit_of_work import UnitOfWork

DEMO_OPERATOR = "operator@demo.streambet.local"
DEMO_BETTORS = ("alice@demo.streambet.local", "bob@demo.streambet.local")


@dataclass(frozen=True)
class CreatedAccount:
    principal: Principal
    password: str


def ensure_account(
    uow: UnitOfWork, email: str, role: str, credit: int = 0
) -> tuple[Principal, str | None]:
    """Returns the account and, only when it was created now, its generated password."""
    existing = accounts.find_by_email(uow, email)
    if existing is not None:
        return existing, None
    password = secrets.token_urlsafe(12)
    principal = accounts.create_user(uow, email, password, role=role, credit=credit)
    uow.commit()
    return principal, password


def ensure_demo_operator(uow: UnitOfWork) -> Principal:
    principal, _ = ensure_account(uow, DEMO_OPERATOR, "operator")
    return principal


def seed_demo_accounts(uow: UnitOfWork, credit: int = 0) -> list[CreatedAccount]:
    """Creates the demo operator and two bettors if missing; returns the new ones."""
    created = []
    for email, role in ((DEMO_OPERATOR, "operator"), *((b, "bettor") for b in DEMO_BETTORS)):
        principal, password = ensure_account(uow, email, role, credit)
        if password is not None:
            created.append(CreatedAccount(principal, password))
    return created
