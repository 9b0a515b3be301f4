"""Label events from samples (start, update on a clearly better sighting, end after the
linger), the live picture queue that drops the oldest, and the JPEG's stream time."""

from __future__ import annotations

import numpy as np

from streambet.services.live_frames import jpeg_time
from streambet.timeline import BoundingBox, Instance, LabelSample
from streambet.vision.live.analysis import _Latest, _News, jpeg_with_boxes
from streambet.vision.live.labels import LabelTracker
from streambet.vision.live.source import Picture
from streambet.vision.pipeline.decode import DecodedFrame


def sample(ms: int, name: str, conf: float, source: str = "") -> LabelSample:
    box = (Instance(BoundingBox(0.1, 0.2, 0.3, 0.4), conf),) if source != "audio" else ()
    return LabelSample(ms, name, conf, conf, box, source)


def test_start_update_end() -> None:
    t = LabelTracker(picture_linger_ms=1500)
    first = t.seen([sample(1000, "Cat", 70)])
    assert [(e.kind, e.label, e.stream_ms, e.box) for e in first] == [
        ("start", "Cat", 1000, (0.1, 0.2, 0.3, 0.4))
    ]
    assert t.seen([sample(1500, "Cat", 72)]) == []  # not clearly better
    better = t.seen([sample(2000, "Cat", 90)])
    assert [(e.kind, e.confidence) for e in better] == [("update", 90)]
    assert t.expire(3000) == []  # seen 1 s ago: still on
    ended = t.expire(3600)
    assert [(e.kind, e.stream_ms, e.confidence) for e in ended] == [("end", 2000, 90)]
    assert t.active == {}
    again = t.seen([sample(4000, "Cat", 60)])
    assert [e.kind for e in again] == ["start"]


def test_sound_lingers_longer_and_end_all() -> None:
    t = LabelTracker()
    t.seen([sample(0, "Applause", 80, "audio"), sample(0, "Dog", 80)])
    assert [e.label for e in t.expire(2000)] == ["Dog"]
    assert t.expire(2000, "sound") == []
    assert [(e.kind, e.label, e.source) for e in t.end_all()] == [("end", "Applause", "sound")]


def _picture(ms: int) -> Picture:
    rgb = np.zeros((36, 64, 3), np.uint8)
    return Picture(DecodedFrame(ms, rgb[..., 0], rgb))


def test_latest_queue_drops_the_oldest_pictures_never_news() -> None:
    q = _Latest(2)
    news = _News(lambda: None)
    q.put(_picture(1))
    q.put(news)
    q.put(_picture(2))
    q.put(_picture(3))
    assert q.dropped == 1
    taken = [q.get(0), q.get(0), q.get(0), q.get(0)]
    assert taken[0] is news
    assert [t.frame.timestamp_ms for t in taken[1:3]] == [2, 3]  # type: ignore[union-attr]
    assert taken[3] is None


def test_jpeg_carries_its_stream_time() -> None:
    rgb = np.full((90, 160, 3), 128, np.uint8)
    jpeg = jpeg_with_boxes(rgb, {"Cat": (0.1, 0.1, 0.5, 0.5), "Speech": None}, 1_796_000_000_123)
    assert jpeg[:2] == b"\xff\xd8"
    assert jpeg_time(jpeg) == 1_796_000_000_123
    assert jpeg_time(b"\xff\xd8no comment") == 0
