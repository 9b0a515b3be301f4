"""Demo accounts for `make run` and for the original endpoints' compatibility mode."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from sqlalchemy.orm import Session

from streambet.domain.accounts import Principal
from streambet.services import accounts
from streambet.services.unit_of_work import UnitOfWork

DEMO_OPERATOR = "operator@demo.streambet.local"
DEMO_BETTORS = ("alice@demo.streambet.local", "bob@demo.streambet.local")
# Reaches the review queue and rules on disputes from the web app.
DEMO_ADMIN = "admin@demo.streambet.local"


@dataclass(frozen=True)
class CreatedAccount:
    principal: Principal
    password: str


def _ensure(
    session: Session, email: str, role: str, credit: int = 0
) -> tuple[Principal, str | None]:
    """The account and, only when it was created now, its generated password."""
    existing = accounts.find_by_email(session, email)
    if existing is not None:
        return existing, None
    password = secrets.token_urlsafe(12)
    # Hashed inside the seeding transaction: this happens once per account, ever.
    password_hash = accounts.hash_password(password, email)
    return accounts.add_user(session, email, password_hash, role=role, credit=credit), password


def ensure_demo_operator(uow: UnitOfWork) -> Principal:
    with uow:
        principal, password = _ensure(uow.session, DEMO_OPERATOR, "operator")
        if password is not None:
            uow.commit()
    return principal


def seed_demo_accounts(uow: UnitOfWork, credit: int = 0) -> list[CreatedAccount]:
    """Creates the demo admin, operator and two bettors if missing; returns the new ones."""
    created = []
    demo_accounts = (
        (DEMO_ADMIN, "admin"),
        (DEMO_OPERATOR, "operator"),
        *((b, "bettor") for b in DEMO_BETTORS),
    )
    with uow:
        for email, role in demo_accounts:
            principal, password = _ensure(uow.session, email, role, credit)
            if password is not None:
                created.append(CreatedAccount(principal, password))
        uow.commit()
    return created
