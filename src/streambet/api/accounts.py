"""Sign-up, login and logout."""

from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, Response, jsonify
from pydantic import BaseModel, Field

from streambet.api.auth import bearer_token, require_principal
from streambet.api.openapi import documented
from streambet.api.validation import parse_json
from streambet.services import accounts
from streambet.services.accounts import Principal
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


def user_read(p: Principal) -> dict[str, object]:
    return UserRead(
        id=p.user_id, email=p.email, display_name=p.display_name, role=p.role
    ).model_dump()


def _ttl() -> timedelta:
    return timedelta(hours=wiring().settings.token_ttl_hours)


@bp.post("/api/auth/signup")
@documented(
    "Create a bettor account and log in",
    tags=("accounts",),
    body=SignupCreate,
    responses={201: SessionRead, 400: None, 409: None},
)
def signup() -> tuple[Response, int]:
    body = parse_json(SignupCreate)
    with wiring().uow() as uow:
        principal = accounts.create_user(
            uow,
            body.email,
            body.password,
            "bettor",
            body.display_name,
            credit=wiring().settings.signup_credit,
        )
        token = accounts.issue_token(uow, principal.user_id, _ttl())
        uow.commit()
    return jsonify({"token": token, "user": user_read(principal)}), 201


@bp.post("/api/auth/login")
@documented(
    "Exchange e-mail and password for a bearer token",
    tags=("accounts",),
    body=LoginCreate,
    responses={200: SessionRead, 401: None},
)
def login() -> Response:
    body = parse_json(LoginCreate)
    with wiring().uow() as uow:
        principal, token = accounts.login(uow, body.email, body.password, _ttl())
    return jsonify({"token": token, "user": user_read(principal)})


@bp.post("/api/auth/logout")
@documented(
    "Revoke the bearer token of this request",
    tags=("accounts",),
    auth="bettor",
    responses={204: None, 401: None},
)
def logout() -> tuple[str, int]:
    require_principal()
    token = bearer_token()
    assert token is not None
    with wiring().uow() as uow:
        accounts.revoke_token(uow, token)
    return "", 204
