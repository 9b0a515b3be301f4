"""Sign-up, login, bearer tokens and revocation."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Connection, bindparam, select
from sqlalchemy.orm import Session

from streambet.adapters.orm.accounts import ApiToken, User
from streambet.domain.accounts import (
    Principal,
    Role,
    check_display_name,
    check_password,
    normalise_email,
    parse_role,
)
from streambet.domain.errors import Conflict, Unauthenticated
from streambet.services import wallet
from streambet.services.unit_of_work import UnitOfWork

_hasher = PasswordHasher()
# Verified against when the e-mail is unknown, so a miss costs as long as a wrong password.
_DUMMY_HASH = _hasher.hash("not-a-real-password")


def _principal(user: User) -> Principal:
    return Principal(user.id, user.email, user.display_name, Role(user.role))


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class AccountPolicy:
    signup_credit: int = 0  # minor units of play money a new bettor gets
    token_ttl: timedelta = timedelta(days=14)


@dataclass(frozen=True)
class SessionGrant:
    principal: Principal
    token: str


def add_user(
    session: Session,
    email: str,
    password: str,
    role: str = "bettor",
    display_name: str = "",
    *,
    credit: int = 0,
) -> Principal:
    """Adds an account inside the caller's transaction (a helper: it never commits). A
    bettor gets `credit` minor units of play money through the ledger."""
    email = normalise_email(email)
    check_password(password)
    name = check_display_name(display_name or email.split("@")[0])
    parsed_role = parse_role(role)
    if session.scalar(select(User.id).where(User.email == email)) is not None:
        raise Conflict("An account with that e-mail already exists.", details={"field": "email"})
    user = User(
        email=email, display_name=name, password_hash=_hasher.hash(password), role=parsed_role
    )
    session.add(user)
    session.flush()
    if parsed_role is Role.BETTOR:
        wallet.grant_signup_credit(session, user.id, credit)
    return _principal(user)


def _issue_token(session: Session, user_id: int, ttl: timedelta) -> str:
    token = secrets.token_urlsafe(32)
    session.add(
        ApiToken(
            user_id=user_id,
            token_hash=_token_hash(token),
            expires_at=datetime.now(UTC) + ttl,
        )
    )
    return token


def create_account(
    uow: UnitOfWork,
    email: str,
    password: str,
    role: str = "bettor",
    display_name: str = "",
    *,
    credit: int = 0,
) -> Principal:
    """An account of any role (`streambet users create`, tests)."""
    with uow:
        principal = add_user(uow.session, email, password, role, display_name, credit=credit)
        uow.commit()
    return principal


def sign_up(
    uow: UnitOfWork, policy: AccountPolicy, email: str, password: str, display_name: str = ""
) -> SessionGrant:
    """A bettor account with its play money, logged in."""
    with uow:
        principal = add_user(
            uow.session, email, password, "bettor", display_name, credit=policy.signup_credit
        )
        token = _issue_token(uow.session, principal.user_id, policy.token_ttl)
        uow.commit()
    return SessionGrant(principal, token)


def issue_token(uow: UnitOfWork, user_id: int, ttl: timedelta) -> str:
    """A bearer token for an existing account (tests, benchmarks)."""
    with uow:
        token = _issue_token(uow.session, user_id, ttl)
        uow.commit()
    return token


def login(uow: UnitOfWork, policy: AccountPolicy, email: str, password: str) -> SessionGrant:
    failure = Unauthenticated("Wrong e-mail or password.")
    try:
        email = normalise_email(email)
    except ValueError:
        raise failure from None
    with uow:
        user = uow.session.scalar(select(User).where(User.email == email))
        try:
            _hasher.verify(user.password_hash if user else _DUMMY_HASH, password)
        except (VerificationError, InvalidHashError):
            raise failure from None
        if user is None:
            raise failure
        token = _issue_token(uow.session, user.id, policy.token_ttl)
        principal = _principal(user)
        uow.commit()
    return SessionGrant(principal, token)


# Every authenticated request runs this: built once and run on a bare connection (no ORM
# session, no entity loading), it costs less than half an ORM query (bench/betting.py).
_AUTHENTICATE = (
    select(
        User.id, User.email, User.display_name, User.role, ApiToken.revoked_at, ApiToken.expires_at
    )
    .join(User, User.id == ApiToken.user_id)
    .where(ApiToken.token_hash == bindparam("token_hash"))
)


def authenticate(conn: Connection, token: str) -> Principal:
    row = conn.execute(_AUTHENTICATE, {"token_hash": _token_hash(token)}).first()
    if row is None:
        raise Unauthenticated("That token is not valid.")
    user_id, email, display_name, role, revoked_at, expires_at = row
    if revoked_at is not None:
        raise Unauthenticated("That token was revoked.")
    if expires_at <= datetime.now(UTC):
        raise Unauthenticated("That token has expired; log in again.")
    return Principal(user_id, email, display_name, Role(role))


def revoke_token(uow: UnitOfWork, token: str) -> None:
    with uow:
        api_token = uow.session.scalar(
            select(ApiToken).where(ApiToken.token_hash == _token_hash(token))
        )
        if api_token is not None and api_token.revoked_at is None:
            api_token.revoked_at = datetime.now(UTC)
            uow.commit()


def find_by_email(session: Session, email: str) -> Principal | None:
    user = session.scalar(select(User).where(User.email == email.strip().lower()))
    return _principal(user) if user else None
