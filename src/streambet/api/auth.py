"""Bearer-token authentication and role checks for views, declared once per view.

`@requires(role)` enforces the check and records it on the view (`access_of(view)`); the
OpenAPI document reads that record, so what the docs say about a route's security is what
the route does (tests/integration/test_openapi_security.py walks every route to prove it).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from flask import g, request

from streambet.domain.accounts import Principal, Role, check_role
from streambet.domain.errors import Unauthenticated
from streambet.services import accounts, demo
from streambet.wiring import wiring

F = TypeVar("F", bound=Callable[..., Any])
LOG_IN = "Log in first: send 'Authorization: Bearer <token>'."


@dataclass(frozen=True)
class Access:
    """Who may call a view: a bearer token of `role` or higher. `compat`: one of the
    original endpoints, which outside production act as the demo operator when no token
    is sent (old clients and a plain curl keep working)."""

    role: Role
    compat: bool = False


def bearer_token() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        return token.strip()
    return None


def _authenticate() -> Principal | None:
    token = bearer_token()
    if token is None:
        return None
    with wiring().read_connection() as conn:
        return accounts.authenticate(conn, token)


def authorize(access: Access) -> Principal:
    """The caller, if `access` lets them in; remembered for the rest of the request."""
    principal = _authenticate()
    if principal is None:
        w = wiring()
        if not (access.compat and w.settings.compat_mode):
            raise Unauthenticated(LOG_IN)
        principal = demo.ensure_demo_operator(w.uow())
    check_role(principal.role, access.role)
    g.principal = principal
    return principal


def requires(minimum: Role, *, compat: bool = False) -> Callable[[F], F]:
    """View decorator: a valid token whose role is at least `minimum` (admin > operator >
    bettor). The view reads the caller with `principal()`."""
    access = Access(minimum, compat)

    def wrap(view: F) -> F:
        @functools.wraps(view)
        def inner(*args: Any, **kwargs: Any) -> Any:
            authorize(access)
            return view(*args, **kwargs)

        inner.__access__ = access  # type: ignore[attr-defined]
        return inner  # type: ignore[return-value]

    return wrap


def access_of(view: Callable[..., Any]) -> Access | None:
    """What `@requires` declared for `view`; None: public."""
    found: Access | None = getattr(view, "__access__", None)
    return found


def principal() -> Principal:
    """The caller `@requires` let in."""
    who: Principal = g.principal
    return who
