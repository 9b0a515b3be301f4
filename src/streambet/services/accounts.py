"""Sign-up, login, bearer tokens and revocation.

Password hashing and verification (argon2, tens of milliseconds of CPU on purpose) run
outside every transaction, so a flood of logins never holds SQLite's writer or a row lock
while it hashes; logins are throttled per account and per client address before any
hashing (services/throttle.py). Sign-up answers the same whether or not the e-mail already
has an account: nothing is created then, and the owner is told by mail instead.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Protocol

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Connection, String, bindparam, cast, literal, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from streambet.adapters.orm.accounts import ApiToken, User
from streambet.adapters.orm.betting import LedgerAccount
from streambet.domain.accounts import (
    Principal,
    Role,
    check_display_name,
    check_password,
    normalise_email,
    parse_role,
)
from streambet.domain.errors import Conflict, NotFound, Unauthenticated
from streambet.domain.responsible import check_age
from streambet.services import throttle, wallet
from streambet.services.throttle import LoginThrottle
from streambet.services.unit_of_work import UnitOfWork, UnitOfWorkFactory

_hasher = PasswordHasher()
# Verified against when the e-mail is unknown, so a miss costs as long as a wrong password.
_DUMMY_HASH = _hasher.hash("not-a-real-password")


def _principal(user: User) -> Principal:
    return Principal(user.id, user.email, user.display_name, Role(user.role))


def token_hash(token: str) -> str:
    """How a bearer token is stored and looked up (the token itself never is)."""
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class AccountPolicy:
    signup_credit: int = 0  # minor units of play money a new bettor gets
    token_ttl: timedelta = timedelta(days=14)
    login_throttle: LoginThrottle = field(default_factory=LoginThrottle)


class Mailer(Protocol):
    """Sends one message (adapters/mail.py)."""

    def send(self, to: str, subject: str, body: str) -> None: ...


WELCOME = (
    "Welcome to StreamBet",
    "Your StreamBet account is ready. Log in with this e-mail address and your password.",
)
ALREADY = (
    "Someone tried to sign up with your e-mail",
    "Someone (perhaps you) tried to create a StreamBet account with this e-mail address, which"
    " already has one. Nothing was changed. If it was you, log in with your password.",
)


def hash_password(password: str, email: str, display_name: str = "") -> str:
    """Checks the password (length and strength) and hashes it; call outside any
    transaction, it is slow on purpose."""
    check_password(password, user_inputs=(email, email.split("@")[0], display_name))
    return _hasher.hash(password)


@dataclass(frozen=True)
class SessionGrant:
    principal: Principal
    token: str


def add_user(
    session: Session,
    email: str,
    password_hash: str,
    role: str = "bettor",
    display_name: str = "",
    *,
    credit: int = 0,
) -> Principal:
    """Adds an account inside the caller's transaction (a helper: it never commits) from a
    normalised e-mail and a hash made beforehand (`hash_password`). A bettor gets `credit`
    minor units of play money through the ledger."""
    name = check_display_name(display_name or email.split("@")[0])
    parsed_role = parse_role(role)
    if session.scalar(select(User.id).where(User.email == email)) is not None:
        raise Conflict("An account with that e-mail already exists.", details={"field": "email"})
    user = User(email=email, display_name=name, password_hash=password_hash, role=parsed_role)
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
            token_hash=token_hash(token),
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
    """An account of any role (`streambet users create`, tests); an e-mail in use is a
    conflict (the caller is an administrator, who may know)."""
    email = normalise_email(email)
    password_hash = hash_password(password, email, display_name)
    with uow:
        principal = add_user(uow.session, email, password_hash, role, display_name, credit=credit)
        uow.commit()
    return principal


def sign_up(
    uow: UnitOfWork,
    policy: AccountPolicy,
    mailer: Mailer,
    email: str,
    password: str,
    display_name: str,
    birth_date: date,
    today: date | None = None,
) -> None:
    """A bettor account with its play money, unless the e-mail has one already: then
    nothing is created. Either way the same work is done and the same nothing returned,
    so the answer does not tell who has an account; the owner of the address learns
    which it was by mail. The caller then logs in. Only for the 18s and over (refused
    before anything else, whoever owns the address)."""
    check_age(birth_date, today or datetime.now(UTC).date())
    email = normalise_email(email)
    check_display_name(display_name or email.split("@")[0])
    password_hash = hash_password(password, email, display_name)
    created = False
    try:
        with uow:
            if uow.session.scalar(select(User.id).where(User.email == email)) is None:
                principal = add_user(
                    uow.session,
                    email,
                    password_hash,
                    "bettor",
                    display_name,
                    credit=policy.signup_credit,
                )
                user = uow.session.get(User, principal.user_id)
                assert user is not None
                user.birth_date = birth_date
                uow.commit()
                created = True
    except IntegrityError:  # the same e-mail signed up at this very moment
        created = False
    mailer.send(email, *(WELCOME if created else ALREADY))


def issue_token(uow: UnitOfWork, user_id: int, ttl: timedelta) -> str:
    """A bearer token for an existing account (tests, benchmarks)."""
    with uow:
        token = _issue_token(uow.session, user_id, ttl)
        uow.commit()
    return token


def login(
    write: UnitOfWorkFactory,
    read: UnitOfWorkFactory,
    policy: AccountPolicy,
    email: str,
    password: str,
    address: str,
) -> SessionGrant:
    """A bearer token for the right e-mail and password. Throttled before anything else
    (TooManyRequests): every attempt spends one of the client address's tokens, every
    failure one of the account's. The password is verified outside any transaction."""
    failure = Unauthenticated("Wrong e-mail or password.")
    email = normalise_email(email)
    limits = policy.login_throttle
    account_key = f"login:account:{email}"
    throttle.take(
        write(),
        [
            (account_key, limits.per_account, False),
            (f"login:address:{address}", limits.per_address, True),
        ],
    )
    with read() as tx:
        user = tx.session.scalar(select(User).where(User.email == email))
        stored_hash = user.password_hash if user else _DUMMY_HASH
        principal = _principal(user) if user else None
    try:
        _hasher.verify(stored_hash, password)
        verified = principal is not None
    except (VerificationError, InvalidHashError):
        verified = False
    if not verified or principal is None:
        throttle.take(write(), [(account_key, limits.per_account, True)])
        raise failure
    with write() as tx:
        token = _issue_token(tx.session, principal.user_id, policy.token_ttl)
        tx.commit()
    return SessionGrant(principal, token)


# Every authenticated request runs this: built once and run on a bare connection (no ORM
# session, no entity loading), it costs less than half an ORM query (bench/betting.py).
_TOKEN_COLUMNS = (
    User.id,
    User.email,
    User.display_name,
    User.role,
    ApiToken.revoked_at,
    ApiToken.expires_at,
)
_AUTHENTICATE = (
    select(*_TOKEN_COLUMNS)
    .join(User, User.id == ApiToken.user_id)
    .where(ApiToken.token_hash == bindparam("token_hash"))
)
# GET /api/me's one statement: the token's row and the wallet's balance (none: 0).
_WALLET_BALANCE = (
    select(LedgerAccount.balance)
    .where(LedgerAccount.code == literal("wallet:") + cast(User.id, String))
    .scalar_subquery()
)
_AUTHENTICATE_WITH_BALANCE = _AUTHENTICATE.add_columns(_WALLET_BALANCE)


@dataclass(frozen=True)
class TokenRow:
    """What the database holds about a bearer token and its account."""

    user_id: int
    email: str
    display_name: str
    role: str
    revoked_at: datetime | None
    expires_at: datetime


def admit(row: TokenRow | None, now: datetime) -> Principal:
    """The token's account, or Unauthenticated saying why not: every token check asks
    here, in Python or in PostgreSQL's wager function (services/wagers_postgres.py)."""
    if row is None:
        raise Unauthenticated("That token is not valid.")
    if row.revoked_at is not None:
        raise Unauthenticated("That token was revoked.")
    if row.expires_at <= now:
        raise Unauthenticated("That token has expired; log in again.")
    return Principal(row.user_id, row.email, row.display_name, Role(row.role))


def authenticate(conn: Connection, token: str) -> Principal:
    row = conn.execute(_AUTHENTICATE, {"token_hash": token_hash(token)}).first()
    return admit(TokenRow(*row) if row is not None else None, datetime.now(UTC))


def authenticate_with_balance(conn: Connection, token: str) -> tuple[Principal, int]:
    """`authenticate` and the account's wallet balance, in one statement."""
    row = conn.execute(_AUTHENTICATE_WITH_BALANCE, {"token_hash": token_hash(token)}).first()
    who = admit(TokenRow(*row[:6]) if row is not None else None, datetime.now(UTC))
    assert row is not None
    return who, int(row[6] or 0)


def revoke_token(uow: UnitOfWork, token: str) -> None:
    with uow:
        api_token = uow.session.scalar(
            select(ApiToken).where(ApiToken.token_hash == token_hash(token))
        )
        if api_token is not None and api_token.revoked_at is None:
            api_token.revoked_at = datetime.now(UTC)
            uow.commit()


def find_by_email(session: Session, email: str) -> Principal | None:
    user = session.scalar(select(User).where(User.email == email.strip().lower()))
    return _principal(user) if user else None


@dataclass(frozen=True)
class AccountRow:
    """One line of `streambet users list`."""

    user_id: int
    email: str
    display_name: str
    role: str
    created_at: datetime


def list_accounts(uow: UnitOfWork) -> list[AccountRow]:
    with uow:
        return [
            AccountRow(u.id, u.email, u.display_name, u.role, u.created_at)
            for u in uow.session.scalars(select(User).order_by(User.id))
        ]


def reset_password(uow: UnitOfWork, email: str) -> str:
    """Gives the account a new generated password (returned, to be shown once) and revokes
    its tokens, so a session opened with the old one ends; NotFound for an unknown e-mail
    (the caller is an administrator at the server's console)."""
    email = normalise_email(email)
    password = secrets.token_urlsafe(12)
    password_hash = hash_password(password, email)  # slow: outside the transaction
    now = datetime.now(UTC)
    with uow:
        user = uow.session.scalar(select(User).where(User.email == email))
        if user is None:
            raise NotFound(f"No account with the e-mail {email}.")
        user.password_hash = password_hash
        for token in uow.session.scalars(
            select(ApiToken).where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
        ):
            token.revoked_at = now
        uow.commit()
    return password
