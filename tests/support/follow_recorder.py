"""What a live source follower reported (vision/live/follow.py's listener), in order."""

from __future__ import annotations

from typing import Any

from streambet.vision.live.source import Item, Picture


class Recorder:
    """The follower's listener: each call appended to `events` (a caller's own list, or
    a new one) as (kind, value)."""

    def __init__(self, events: list[tuple[str, Any]] | None = None) -> None:
        self.events: list[tuple[str, Any]] = [] if events is None else events

    def connecting(self, attempt: int) -> None:
        self.events.append(("connecting", attempt))

    def item(self, item: Item) -> None:
        self.events.append(("picture" if isinstance(item, Picture) else "sound", None))

    def lost(self, reason: str) -> None:
        self.events.append(("lost", reason))

    def finished(self, ended: bool, reason: str) -> None:
        self.events.append(("finished", (ended, reason)))

    @property
    def pictures(self) -> int:
        return sum(1 for kind, _ in self.events if kind == "picture")

    @property
    def outcome(self) -> tuple[bool, str] | None:
        """(ended, reason) once the follower finished."""
        done = [v for kind, v in self.events if kind == "finished"]
        return done[-1] if done else None
