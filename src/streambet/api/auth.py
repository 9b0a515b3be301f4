"""Bearer-token authentication and role checks for views."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

from flask import g, request

from streambet.domain.accounts import Role
from streambet.domain.errors import PermissionDenied, Unauthenticated
from streambet.services import accounts, demo
from streambet.services.accounts import Principal
from streambet.wiring import wiring

F = TypeVar("F", bound=Callable[..., Any])
RANK = {Role.BETTOR: 0, Role.OPERATOR: 1, Role.ADMIN: 2}


def bearer_token() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        return token.strip()
    return None


def current_principal(*, required: bool = True) -> Principal | None:
    if "principal" in g:
        principal: Principal | None = g.principal
        return principal
    token = bearer_token()
    principal = None
    if token is not None:
        with wiring().read_connection() as conn:
            principal = accounts.authenticate(conn, token)
    elif required:
        raise Unauthenticated("Log in first: send 'Authorization: Bearer <token>'.")
    g.principal = principal
    return principal


def require_principal() -> Principal:
    principal = current_principal(required=True)
    assert principal is not None
    return principal


def require_role(minimum: Role, principal: Principal) -> None:
    if RANK[principal.role] < RANK[minimum]:
        raise PermissionDenied(f"This needs the {minimum.value} role.")


def requires(minimum: Role) -> Callable[[F], F]:
    """View decorator: a valid token whose role is at least `minimum` (admin > operator >
    bettor)."""

    def wrap(view: F) -> F:
        @functools.wraps(view)
        def inner(*args: Any, **kwargs: Any) -> Any:
            require_role(minimum, require_principal())
            return view(*args, **kwargs)

        return inner  # type: ignore[return-value]

    return wrap


def compat_principal(minimum: Role) -> Principal:
    """For the original endpoints: outside production, no token means the demo operator,
    so old clients and a plain curl keep working."""
    principal = current_principal(required=False)
    if principal is None:
        if not wiring().settings.compat_mode:
            raise Unauthenticated("Log in first: send 'Authorization: Bearer <token>'.")
        with wiring().uow() as uow:
            principal = demo.ensure_demo_operator(uow)
        g.principal = principal
    require_role(minimum, principal)
    return principal
