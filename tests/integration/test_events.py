"""The event bus in process and on Redis pub/sub."""

from __future__ import annotations

import os
import threading
import uuid
from collections.abc import Iterator

import pytest

from streambet.adapters.events import EventBus, MemoryEventBus, RedisEventBus

REDIS_ENV = "STREAMBET_TEST_REDIS_URL"


@pytest.fixture(params=["memory", "redis"])
def bus(request: pytest.FixtureRequest) -> Iterator[EventBus]:
    if request.param == "redis":
        url = os.environ.get(REDIS_ENV)
        if not url:
            pytest.skip(f"Redis variant: set {REDIS_ENV} to run it")
        made: EventBus = RedisEventBus(url)
    else:
        made = MemoryEventBus()
    yield made
    made.close()


def test_subscribers_get_their_topics_only(bus: EventBus) -> None:
    topic = f"t.{uuid.uuid4().hex[:6]}"
    with bus.subscribe(topic) as mine, bus.subscribe("other." + topic) as other:
        bus.publish(topic, {"id": "a", "progress": 5})
        bus.publish(topic, {"id": "a", "progress": 6})
        first, second = mine.get(timeout=5), mine.get(timeout=5)
        assert first is not None and second is not None
        assert (first.topic, first.payload) == (topic, {"id": "a", "progress": 5})
        assert second.payload["progress"] == 6
        assert other.get(timeout=0.2) is None


def test_events_cross_threads(bus: EventBus) -> None:
    topic = f"t.{uuid.uuid4().hex[:6]}"
    with bus.subscribe(topic) as sub:
        publisher = threading.Thread(
            target=lambda: [bus.publish(topic, {"n": i}) for i in range(20)]
        )
        publisher.start()
        got = []
        for event in sub:
            got.append(event.payload["n"])
            if len(got) == 20:
                break
        publisher.join()
    assert got == list(range(20))


def test_nothing_before_subscribing(bus: EventBus) -> None:
    topic = f"t.{uuid.uuid4().hex[:6]}"
    bus.publish(topic, {"early": True})
    with bus.subscribe(topic) as sub:
        assert sub.get(timeout=0.2) is None
