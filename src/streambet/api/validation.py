"""Request parsing with pydantic; failures become 400s in the error envelope."""

from __future__ import annotations

from typing import Any, TypeVar

from flask import request
from pydantic import BaseModel, ValidationError

from streambet.domain.errors import ValidationFailed

M = TypeVar("M", bound=BaseModel)


def _details(exc: ValidationError) -> list[dict[str, Any]]:
    return [
        {"field": ".".join(str(p) for p in err["loc"]) or None, "problem": err["msg"]}
        for err in exc.errors(include_url=False, include_context=False, include_input=False)
    ]


def parse_json(model: type[M]) -> M:
    payload = request.get_json(silent=True)
    if payload is None:
        raise ValidationFailed("The request body must be a JSON object.")
    try:
        return model.model_validate(payload)
    except ValidationError as exc:
        raise ValidationFailed("Some fields are not valid.", details=_details(exc)) from None


def parse_query(model: type[M]) -> M:
    try:
        return model.model_validate(request.args.to_dict())
    except ValidationError as exc:
        raise ValidationFailed(
            "Some query parameters are not valid.", details=_details(exc)
        ) from None
