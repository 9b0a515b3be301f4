"""Sign-up, login and logout."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify
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


@bp.post("/api/auth/signup")
@documented(
    "Create a bettor account and log in",
    tags=("accounts",),
    body=SignupCreate,
    responses={201: SessionRead, 400: None, 409: None},
)
def signup() -> tuple[Response, int]:
    body = parse_json(SignupCreate)
    w = wiring()
    grant = accounts.sign_up(
        w.uow(), w.account_policy, body.email, body.password, body.display_name
    )
    return _no_store(jsonify({"token": grant.token, "user": user_read(grant.principal)})), 201


@bp.post("/api/auth/login")
@documented(
    "Exchange e-mail and password for a bearer token",
    tags=("accounts",),
    body=LoginCreate,
    responses={200: SessionRead, 401: None},
)
def login() -> Response:
    body = parse_json(LoginCreate)
    w = wiring()
    grant = accounts.login(w.uow(), w.account_policy, body.email, body.password)
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
