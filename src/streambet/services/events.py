"""How use cases announce changes: a `publish(topic, payload)` callable, injected into the
unit of work, which publishes what a use case emitted once it has committed
(services/unit_of_work.py). The event bus (streambet.adapters.events) fits it; tests pass
a list-collecting fake."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Publish = Callable[[str, dict[str, Any]], None]

ODDS = "market.odds"
STATUS = "market.status"
ANALYSIS_PROGRESS = "analysis.progress"
PAYMENT_STATUS = "payment.status"  # a deposit's or withdrawal's new status: its owner only
HELD_WAGER = "wager.held"  # an in-play wager accepted or refused after its bet delay: its owner


def no_publish(topic: str, payload: dict[str, Any]) -> None:
    """The default when nobody listens."""
