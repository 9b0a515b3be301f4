"""Event bus port: publish a JSON-able payload on a topic; subscribers read it as it comes.

In-process (embedded default: the queue consumer runs inside the server, so one process
sees every event) or Redis pub/sub (workers on other machines). Delivery is best-effort
and live only: a subscriber sees what is published after it subscribed, and the database
row stays the source of truth.
"""

from __future__ import annotations

import contextlib
import json
import queue
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Protocol

CHANNEL_PREFIX = "streambet:"


@dataclass(frozen=True)
class Event:
    topic: str
    payload: dict[str, Any]


class Subscription(Protocol):
    def get(self, timeout: float | None = None) -> Event | None:
        """The next event, or None when `timeout` seconds pass without one."""
        ...

    def close(self) -> None: ...

    def __iter__(self) -> Iterator[Event]: ...

    def __enter__(self) -> Subscription: ...

    def __exit__(self, *exc: object) -> None: ...


class EventBus(Protocol):
    name: str

    def publish(self, topic: str, payload: dict[str, Any]) -> None: ...

    def subscribe(self, *topics: str) -> Subscription: ...

    def close(self) -> None: ...


class _SubscriptionBase:
    def get(self, timeout: float | None = None) -> Event | None:
        raise NotImplementedError

    def close(self) -> None:
        raise NotImplementedError

    def __iter__(self) -> Iterator[Event]:
        """Blocks for each event; ends when the subscription is closed."""
        while not self.closed:
            event = self.get(timeout=1.0)
            if event is not None:
                yield event

    def __enter__(self) -> Subscription:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    closed = False


class _MemorySubscription(_SubscriptionBase):
    def __init__(self, bus: MemoryEventBus, topics: tuple[str, ...]) -> None:
        self._bus = bus
        self.topics = topics
        self.queue: queue.Queue[Event] = queue.Queue(maxsize=1000)

    def get(self, timeout: float | None = None) -> Event | None:
        try:
            return self.queue.get(timeout=timeout)
        except queue.Empty:
            return None

    def close(self) -> None:
        self.closed = True
        self._bus._remove(self)


class MemoryEventBus:
    name = "memory"

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._subs: list[_MemorySubscription] = []

    def publish(self, topic: str, payload: dict[str, Any]) -> None:
        # A JSON round trip so subscribers get the same plain data Redis would give them.
        event = Event(topic, json.loads(json.dumps(payload)))
        with self._lock:
            subs = [s for s in self._subs if topic in s.topics]
        for sub in subs:
            try:
                sub.queue.put_nowait(event)
            except queue.Full:  # a stalled subscriber loses its oldest event, not ours
                with contextlib.suppress(queue.Empty):
                    sub.queue.get_nowait()
                sub.queue.put_nowait(event)

    def subscribe(self, *topics: str) -> Subscription:
        sub = _MemorySubscription(self, topics)
        with self._lock:
            self._subs.append(sub)
        return sub

    def _remove(self, sub: _MemorySubscription) -> None:
        with self._lock:
            if sub in self._subs:
                self._subs.remove(sub)

    def close(self) -> None:
        with self._lock:
            self._subs.clear()


class _RedisSubscription(_SubscriptionBase):
    def __init__(self, client: Any, topics: tuple[str, ...]) -> None:
        self._pubsub = client.pubsub(ignore_subscribe_messages=False)
        self._pubsub.subscribe(*(CHANNEL_PREFIX + t for t in topics))
        # Wait for Redis to confirm every channel, so nothing published after subscribe()
        # returns can be missed.
        confirmed = 0
        while confirmed < len(topics):
            message = self._pubsub.get_message(timeout=5.0)
            if message is None:
                raise ConnectionError("Redis did not confirm the subscription")
            if message["type"] == "subscribe":
                confirmed += 1

    def get(self, timeout: float | None = None) -> Event | None:
        message = self._pubsub.get_message(
            ignore_subscribe_messages=True, timeout=1e6 if timeout is None else timeout
        )
        if message is None or message["type"] != "message":
            return None
        channel = message["channel"]
        if isinstance(channel, bytes):
            channel = channel.decode()
        return Event(channel.removeprefix(CHANNEL_PREFIX), json.loads(message["data"]))

    def close(self) -> None:
        self.closed = True
        self._pubsub.close()


class RedisEventBus:
    name = "redis"

    def __init__(self, url: str) -> None:
        import redis

        self._client = redis.Redis.from_url(url)

    def publish(self, topic: str, payload: dict[str, Any]) -> None:
        self._client.publish(CHANNEL_PREFIX + topic, json.dumps(payload))

    def subscribe(self, *topics: str) -> Subscription:
        return _RedisSubscription(self._client, topics)

    def close(self) -> None:
        self._client.close()
