"""Keeps a live source open: connects (resolving Twitch and Kinesis each time), reads,
and on a failure or close reconnects with exponential backoff, until it has been without
a picture for `give_up_seconds` (then it has `ended`, if it ever gave one, or `failed`).
What happens is told to a `FollowListener` from the follower's own thread."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Protocol

from streambet.vision.live.errors import SourceRefused
from streambet.vision.live.guard import Guard
from streambet.vision.live.resolve import ClientFactory, media_url
from streambet.vision.live.source import Item, ReadConfig, SourceEnded, SourceLost, read_source

BACKOFF_FIRST, BACKOFF_MAX = 0.5, 15.0


class FollowListener(Protocol):
    def connecting(self, attempt: int) -> None: ...
    def item(self, item: Item) -> None: ...
    def lost(self, reason: str) -> None: ...
    def finished(self, ended: bool, reason: str) -> None: ...


@dataclass(frozen=True)
class FollowConfig:
    read: ReadConfig
    give_up_seconds: float = 60.0


Reader = Callable[[str, ReadConfig, threading.Event, Guard | None], Iterator[Item]]


def follow(
    url: str,
    config: FollowConfig,
    listener: FollowListener,
    stop: threading.Event,
    *,
    reader: Reader = read_source,
    kinesis_clients: ClientFactory | None = None,
    guard: Guard | None = None,
) -> None:
    """Runs until `stop` is set or the source is given up (listener.finished). With a
    `guard`, every connection's hosts are checked again (a refusal fails the stream)."""
    attempt = 0
    delay = BACKOFF_FIRST
    last_picture = time.monotonic()
    seen_any = False
    while not stop.is_set():
        attempt += 1
        listener.connecting(attempt)
        reason = ""
        try:
            for item in reader(media_url(url, kinesis_clients), config.read, stop, guard):
                listener.item(item)
                last_picture = time.monotonic()
                seen_any = True
                delay = BACKOFF_FIRST
            if stop.is_set():
                return
            reason = "the source closed the connection"
        except SourceEnded as exc:
            listener.finished(True, str(exc))
            return
        except SourceRefused as exc:
            listener.finished(False, f"the source was refused ({exc})")
            return
        except SourceLost as exc:
            reason = str(exc)
        if stop.is_set():
            return
        listener.lost(reason)
        if time.monotonic() - last_picture >= config.give_up_seconds:
            waited = f"no picture for {config.give_up_seconds:g} s"
            if seen_any:
                listener.finished(
                    True, f"the source stopped and did not come back ({waited}: {reason})"
                )
            else:
                listener.finished(False, f"the source never answered ({waited}: {reason})")
            return
        left = config.give_up_seconds - (time.monotonic() - last_picture)
        if stop.wait(max(0.0, min(delay, left))):
            return
        delay = min(BACKOFF_MAX, delay * 2)
