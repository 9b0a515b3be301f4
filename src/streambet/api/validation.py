"""Request parsing with pydantic; failures become 4xx in the error envelope.

Hostile input is refused here, before it reaches a use case or a database:
- JSON is parsed by pydantic's own parser (`model_validate_json`), which stops at 200 levels
  of nesting before building anything, so `[[[[...` is a 400, never a RecursionError; the
  same parser reads the upload's `options` field and WebSocket messages (`loads`).
- A JSON body over MAX_JSON_BYTES is a 413 before it is read.
- Text anywhere in a body or query (nested criteria included) may not hold NUL, which
  PostgreSQL refuses in text; the 400 names the field.
- Numbers that reach a column are bounded by the types below (ids fit 32-bit keys, times
  a sensible calendar), so 99999999999999999999 is a 400 (or a 404 in a path), not an
  overflow in the database.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated, Any, TypeVar

import pydantic_core
from flask import request
from pydantic import BaseModel, Field, StrictInt, ValidationError

from streambet.domain.errors import PayloadTooLarge, ValidationFailed

M = TypeVar("M", bound=BaseModel)

MAX_JSON_BYTES = 1024 * 1024
INT32_MAX = 2**31 - 1
# Market times: from the epoch to the start of 2100, in ms.
MAX_EPOCH_MS = 4_102_444_800_000

DbId = Annotated[StrictInt, Field(ge=1, le=INT32_MAX)]
EpochMs = Annotated[StrictInt, Field(ge=0, le=MAX_EPOCH_MS)]
Offset = Annotated[int, Field(default=0, ge=0, le=INT32_MAX)]


def _details(exc: ValidationError) -> list[dict[str, Any]]:
    return [
        {"field": ".".join(str(p) for p in err["loc"]) or None, "problem": err["msg"]}
        for err in exc.errors(include_url=False, include_context=False, include_input=False)
    ]


def _nul_paths(value: Any, path: str = "") -> Iterator[str]:
    if isinstance(value, str):
        if "\x00" in value:
            yield path or "body"
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _nul_paths(key, path or "body")
            yield from _nul_paths(item, f"{path}.{key}" if path else str(key))
    elif isinstance(value, list | tuple):
        for i, item in enumerate(value):
            yield from _nul_paths(item, f"{path}.{i}" if path else str(i))


def refuse_nul(value: Any) -> None:
    """400 naming the first field whose text holds a NUL character."""
    for field in _nul_paths(value):
        raise ValidationFailed(
            "Text may not contain NUL characters.",
            details={"field": field},
            code="nul_character",
        )


def validate_json(model: type[M], raw: str | bytes, *, what: str = "The request body") -> M:
    """`raw` JSON as `model`: depth-limited parsing, NUL-free text, or a 400."""
    try:
        parsed = model.model_validate_json(raw)
    except ValidationError as exc:
        if any(e["type"] == "json_invalid" for e in exc.errors()):
            problem = exc.errors(include_url=False)[0]["msg"]
            raise ValidationFailed(
                f"{what} must be a JSON object ({problem}).", code="invalid_json"
            ) from None
        raise ValidationFailed("Some fields are not valid.", details=_details(exc)) from None
    refuse_nul(parsed.model_dump())
    return parsed


def loads(raw: str | bytes) -> Any:
    """Any JSON value, with the same nesting limit (ValueError when refused)."""
    return pydantic_core.from_json(raw)


def parse_json(model: type[M]) -> M:
    if request.content_length is not None and request.content_length > MAX_JSON_BYTES:
        raise PayloadTooLarge(
            f"A JSON body may be at most {MAX_JSON_BYTES // 1024} KB.",
            details={"limit_bytes": MAX_JSON_BYTES},
        )
    if not request.is_json:
        raise ValidationFailed("The request body must be a JSON object.", code="invalid_json")
    raw = request.get_data(cache=False)
    if len(raw) > MAX_JSON_BYTES:  # chunked, without a Content-Length
        raise PayloadTooLarge(
            f"A JSON body may be at most {MAX_JSON_BYTES // 1024} KB.",
            details={"limit_bytes": MAX_JSON_BYTES},
        )
    return validate_json(model, raw)


def parse_query(model: type[M]) -> M:
    args = request.args.to_dict()
    refuse_nul(args)
    try:
        return model.model_validate(args)
    except ValidationError as exc:
        raise ValidationFailed(
            "Some query parameters are not valid.", details=_details(exc)
        ) from None
