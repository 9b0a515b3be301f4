"""How use cases announce changes: a `publish(topic, payload)` callable, injected. The
event bus (streambet.adapters.events) fits it; tests pass a list-collecting fake."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Publish = Callable[[str, dict[str, Any]], None]

ODDS = "market.odds"
STATUS = "market.status"


def no_publish(topic: str, payload: dict[str, Any]) -> None:
    """The default when nobody listens."""
