"""Per-endpoint documentation attached to view functions; the OpenAPI document is built
from these, the app's URL map and each view's `@requires` (api/auth.py, which is also what
enforces it), so it cannot drift from the routes."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from pydantic import BaseModel

F = TypeVar("F", bound=Callable[..., Any])


@dataclass(frozen=True)
class Doc:
    summary: str
    tags: tuple[str, ...] = ()
    body: type[BaseModel] | None = None
    query: type[BaseModel] | None = None
    multipart: dict[str, str] | None = None  # field name -> description
    responses: dict[int, type[BaseModel] | None] = field(default_factory=dict)


def documented(
    summary: str,
    *,
    tags: tuple[str, ...] = (),
    body: type[BaseModel] | None = None,
    query: type[BaseModel] | None = None,
    multipart: dict[str, str] | None = None,
    responses: dict[int, type[BaseModel] | None] | None = None,
) -> Callable[[F], F]:
    def attach(view: F) -> F:
        view.__openapi__ = Doc(  # type: ignore[attr-defined]
            summary, tags, body, query, multipart, responses or {200: None}
        )
        return view

    return attach
