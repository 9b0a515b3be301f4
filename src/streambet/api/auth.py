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
from streambet.domain.errors import StreamBetError, Unauthenticated
from streambet.services import accounts, demo
from streambet.wiring import wiring

F = TypeVar("F", bound=Callable[..., Any])
LOG_IN = "Log in first: send 'Authorization: Bearer <token>'."


@dataclass(frozen=True)
class Access:
    """Who may call a view: a bearer token of `role` or higher. `compat`: one of the
    original endpoints, which outside production act as the demo operator when no token
    is sent (old clients and a plain curl keep working). `in_view`: the view checks the
    token in a statement it runs anyway (GET /api/me; a wager's call on PostgreSQL), which
    saves the request a round trip; anything it refuses first still answers after the
    token, as if the token had been checked before the view."""

    role: Role
    compat: bool = False
    in_view: bool = False


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


def requires(minimum: Role, *, compat: bool = False, in_view: bool = False) -> Callable[[F], F]:
    """View decorator: a valid token whose role is at least `minimum` (admin > operator >
    bettor). The view reads the caller with `principal()`; with `in_view` it may instead
    check the token itself and report it with `token_checked`."""
    if compat and in_view:
        raise ValueError("the tokenless demo operator needs the token checked first")
    access = Access(minimum, compat, in_view)

    def wrap(view: F) -> F:
        @functools.wraps(view)
        def inner(*args: Any, **kwargs: Any) -> Any:
            if not in_view:
                authorize(access)
                return view(*args, **kwargs)
            if bearer_token() is None:
                raise Unauthenticated(LOG_IN)
            g.access = access
            try:
                return view(*args, **kwargs)
            except StreamBetError as exc:
                # a bad token answers before whatever the view refused
                unchecked = not g.get("token_checked") and "principal" not in g
                if unchecked and not isinstance(exc, Unauthenticated):
                    authorize(access)
                raise

        inner.__access__ = access  # type: ignore[attr-defined]
        return inner  # type: ignore[return-value]

    return wrap


def token() -> str:
    """The request's bearer token, in a view whose `in_view` access checks it itself."""
    found = bearer_token()
    assert found is not None, "requires(in_view=True) lets no request in without one"
    return found


def token_checked(who: Principal | None = None) -> None:
    """An `in_view` view's statement checked the token: `who` if it found the caller (the
    role is checked here), None if that statement answers for the token itself (refused
    with 401 or 403 as `authorize` would)."""
    g.token_checked = True
    if who is not None:
        check_role(who.role, g.access.role)
        g.principal = who


def access_of(view: Callable[..., Any]) -> Access | None:
    """What `@requires` declared for `view`; None: public."""
    found: Access | None = getattr(view, "__access__", None)
    return found


def principal() -> Principal:
    """The caller `@requires` let in (an `in_view` view's token is checked now)."""
    if "principal" not in g:
        return authorize(g.access)
    who: Principal = g.principal
    return who
