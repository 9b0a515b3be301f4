"""Read models: what a use case hands back, and the same pydantic model the API serves and
documents (one model per shape). Each is built straight from its row's attributes
(`from_attributes`), plus the few values computed beside the row (`read(...)`), inside the
use case's transaction.

Times leave as integer milliseconds since the epoch (`EpochMs`), read from the row's
datetime column of the name given as the field's `validation_alias`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, TypeVar

from pydantic import BaseModel, BeforeValidator, ConfigDict


def _epoch_ms(value: Any) -> Any:
    return int(value.timestamp() * 1000) if isinstance(value, datetime) else value


EpochMs = Annotated[int, BeforeValidator(_epoch_ms)]
OptionalEpochMs = Annotated[int | None, BeforeValidator(_epoch_ms)]


class ReadModel(BaseModel):
    # Every field is always sent, so the documented schema lists them all as required.
    model_config = ConfigDict(
        from_attributes=True, json_schema_serialization_defaults_required=True
    )


M = TypeVar("M", bound=BaseModel)


class _With:
    """A row's attributes, with some overridden or added (values computed beside it)."""

    __slots__ = ("_computed", "_row")

    def __init__(self, row: object, computed: dict[str, Any]) -> None:
        self._row = row
        self._computed = computed

    def __getattr__(self, name: str) -> Any:
        if name in self._computed:
            return self._computed[name]
        return getattr(self._row, name)


def read(model: type[M], row: object, **computed: Any) -> M:
    """`model` from `row`'s attributes, with `computed` values for the fields a row lacks."""
    return model.model_validate(_With(row, computed) if computed else row, from_attributes=True)
