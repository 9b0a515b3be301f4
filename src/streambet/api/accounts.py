"""Sign-up, login and logout."""

from __future__ import annotations

from datetime import date

from flask import Blueprint, Response, jsonify, request
from pydantic import BaseModel, Field

from streambet.api.auth import bearer_token, requires
from streambet.api.openapi import documented
from streambet.api.validation import parse_json
from streambet.domain.accounts import Principal, Role
from streambet.services import accounts
from streambet.wiring import wiring

bp = Blueprint("accounts", __name__)


class SignupCreate(BaseModel):
    email: str = Field(max_length=254)
    password: str = Field(max_length=256)
    display_name: str = Field(default="", max_length=64)
    birth_date: date = Field(description="YYYY-MM-DD; accounts are for 18 and over")


class LoginCreate(BaseModel):
    email: str = Field(max_length=254)
    password: str = Field(max_length=256)


class UserRead(BaseModel):
    id: int
    email: str
    display_name: str
    role: str


class SessionRead(BaseModel):
    token: str
    user: UserRead


def _no_store(response: Response) -> Response:
    """A response carrying a bearer token is kept by no cache, shared or private."""
    response.headers["Cache-Control"] = "no-store"
    response.headers["Pragma"] = "no-cache"
    return response


def user_read(p: Principal) -> dict[str, object]:
    return UserRead(
        id=p.user_id, email=p.email, display_name=p.display_name, role=p.role
    ).model_dump()


class SignupAcceptedRead(BaseModel):
    status: str = Field(description='"accepted"')
    message: str


SIGNUP_ACCEPTED = (
    "If this e-mail address can be used, the account is ready: log in with it and your"
    " password. We have sent a message to the address either way."
)


@bp.post("/api/auth/signup")
@documented(
    "Create a bettor account (18 or older), then log in. The answer is the same whether or"
    " not the e-mail already has an account (nothing is created then; its owner is told by"
    " mail)",
    tags=("accounts",),
    body=SignupCreate,
    responses={202: SignupAcceptedRead, 400: None},
)
def signup() -> tuple[Response, int]:
    body = parse_json(SignupCreate)
    w = wiring()
    accounts.sign_up(
        w.uow(),
        w.account_policy,
        w.mailer,
        body.email,
        body.password,
        body.display_name,
        body.birth_date,
    )
    accepted = SignupAcceptedRead(status="accepted", message=SIGNUP_ACCEPTED)
    return _no_store(jsonify(accepted.model_dump())), 202


@bp.post("/api/auth/login")
@documented(
    "Exchange e-mail and password for a bearer token (throttled per account and per"
    " client address: 429 with Retry-After)",
    tags=("accounts",),
    body=LoginCreate,
    responses={200: SessionRead, 400: None, 401: None, 429: None},
)
def login() -> Response:
    body = parse_json(LoginCreate)
    w = wiring()
    grant = accounts.login(
        w.uow,
        w.read_uow,
        w.account_policy,
        body.email,
        body.password,
        request.remote_addr or "unknown",
    )
    return _no_store(jsonify({"token": grant.token, "user": user_read(grant.principal)}))


@bp.post("/api/auth/logout")
@documented(
    "Revoke the bearer token of this request",
    tags=("accounts",),
    responses={204: None, 401: None},
)
@requires(Role.BETTOR)
def logout() -> tuple[str, int]:
    token = bearer_token()
    assert token is not None
    accounts.revoke_token(wiring().uow(), token)
    return "", 204
