"""Live analysis: a followed source's pictures and sound through one engine run.

The follower (follow.py) reads on its own thread and hands items here. Pictures wait in a
queue that keeps only the newest few: when the engine falls behind, older samples are
dropped (and counted), never queued without bound. The analysis thread feeds the run
(start / feed / finish: the same detectors, fusion and smoothing as for files), turns its
confirmed samples into label events (labels.py), draws the latest picture with its boxes,
and tells the sink. Sound has its own small queue and thread. Follower news (connecting,
lost, finished) travels in the picture queue, so the sink hears it in order with the
pictures before it.
"""

from __future__ import annotations

import collections
import io
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from numpy.typing import NDArray
from PIL import Image, ImageDraw

from streambet.timeline import LabelSample, TranscriptWord
from streambet.vision.backends.local.run import LocalRun
from streambet.vision.live.labels import LabelEvent, LabelTracker, box_of
from streambet.vision.live.source import Item, Picture, Sound, now_ms

PICTURE_QUEUE = 2  # samples waiting at most; older ones are dropped when behind
SOUND_QUEUE = 8  # seconds of sound waiting at most
RECENT_PICTURES = 24  # kept to draw evidence for samples the aggregator confirms late
JPEG_QUALITY = 75
COMMENT_PREFIX = b"streambet-ms:"


class LiveSink(Protocol):
    """What the live job hears, from the analysis thread (labels also from the sound
    thread); each call should return quickly."""

    def connecting(self, attempt: int) -> None: ...
    def lost(self, reason: str) -> None: ...
    def finished(self, ended: bool, reason: str) -> None: ...
    def analysed(self, stream_ms: int, until_ms: int, lag_ms: int, jpeg: bytes) -> None: ...
    def labels(
        self, events: list[tuple[LabelEvent, bytes | None]], samples: list[LabelSample]
    ) -> None: ...


@dataclass(frozen=True)
class _News:
    call: Callable[[], None]


class _Latest:
    """A queue that keeps the newest `size` pictures; news is never dropped."""

    def __init__(self, size: int) -> None:
        self._items: collections.deque[Picture | _News] = collections.deque()
        self._size = size
        self._ready = threading.Condition()
        self.dropped = 0

    def put(self, item: Picture | _News) -> None:
        with self._ready:
            self._items.append(item)
            pictures = [i for i in self._items if isinstance(i, Picture)]
            if len(pictures) > self._size:
                self._items.remove(pictures[0])
                self.dropped += 1
            self._ready.notify()

    def get(self, timeout: float) -> Picture | _News | None:
        with self._ready:
            if not self._items:
                self._ready.wait(timeout)
            return self._items.popleft() if self._items else None


def jpeg_with_boxes(
    rgb: NDArray[Any], boxes: dict[str, tuple[float, float, float, float] | None], ms: int
) -> bytes:
    """The picture with each label's box and name drawn, its stream time in a comment."""
    image = Image.fromarray(rgb)
    draw = ImageDraw.Draw(image)
    w, h = image.size
    for name, box in boxes.items():
        if box is None:
            continue
        left, top, bw, bh = box[0] * w, box[1] * h, box[2] * w, box[3] * h
        draw.rectangle((left, top, left + bw, top + bh), outline=(255, 210, 0), width=2)
        draw.text((left + 3, max(0, top - 12)), name, fill=(255, 210, 0))
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=JPEG_QUALITY, comment=COMMENT_PREFIX + str(ms).encode())
    return out.getvalue()


class LiveAnalysis:
    """Implements the follower's listener; `run_until(stop)` is the analysis loop."""

    def __init__(self, run: LocalRun, sink: LiveSink, *, sound: bool) -> None:
        self.run = run
        self.sink = sink
        self.sample_interval_ms = run.sample_interval_ms
        self._pictures = _Latest(PICTURE_QUEUE)
        self._sounds: collections.deque[Sound] = collections.deque(maxlen=SOUND_QUEUE)
        self._sound_ready = threading.Event()
        self._sound_on = sound
        self._lock = threading.Lock()  # the tracker, the recent pictures, the sink's labels
        self._tracker = LabelTracker(max(1500, 3 * self.sample_interval_ms))
        self._recent: collections.OrderedDict[int, NDArray[Any]] = collections.OrderedDict()
        self._boxes: dict[str, tuple[int, tuple[float, float, float, float] | None]] = {}
        self.last_ms: int | None = None

    @property
    def dropped(self) -> int:
        return self._pictures.dropped

    # -- the follower's listener (its thread) --

    def connecting(self, attempt: int) -> None:
        self._pictures.put(_News(lambda: self.sink.connecting(attempt)))

    def item(self, item: Item) -> None:
        if isinstance(item, Picture):
            self._pictures.put(item)
        elif self._sound_on:
            self._sounds.append(item)  # a full deque drops its oldest
            self._sound_ready.set()

    def lost(self, reason: str) -> None:
        self._pictures.put(_News(lambda: self._stopped(lambda: self.sink.lost(reason))))

    def finished(self, ended: bool, reason: str) -> None:
        self._pictures.put(_News(lambda: self._stopped(lambda: self.sink.finished(ended, reason))))

    # -- the analysis thread --

    def run_until(self, stop: threading.Event) -> None:
        sound = None
        if self._sound_on:
            sound = threading.Thread(
                target=self._sound_loop, args=(stop,), name="live-sound", daemon=True
            )
            sound.start()
        try:
            while not stop.is_set():
                item = self._pictures.get(0.25)
                if isinstance(item, _News):
                    item.call()
                elif item is not None:
                    self._analyse(item)
        finally:
            self._sound_ready.set()
            if sound is not None:
                sound.join(10)

    def _analyse(self, picture: Picture) -> None:
        frame = picture.frame
        assert frame.rgb is not None
        with self._lock:
            self._recent[frame.timestamp_ms] = frame.rgb
            while len(self._recent) > RECENT_PICTURES:
                self._recent.popitem(last=False)
        self.run.feed(frame)  # confirmed samples arrive in _on_labels, on this thread
        self.last_ms = frame.timestamp_ms
        with self._lock:
            ended = self._tracker.expire(frame.timestamp_ms, "picture")
            linger = max(1500, 3 * self.sample_interval_ms)
            boxes = {
                n: b for n, (at, b) in self._boxes.items() if frame.timestamp_ms - at <= linger
            }
        if ended:
            self._tell(ended, [])
        jpeg = jpeg_with_boxes(frame.rgb, boxes, frame.timestamp_ms)
        lag = max(0, now_ms() - frame.timestamp_ms)
        self.sink.analysed(
            frame.timestamp_ms, frame.timestamp_ms + self.sample_interval_ms, lag, jpeg
        )

    def on_labels(self, samples: list[LabelSample]) -> None:
        """The run's callback (analysis or sound thread)."""
        with self._lock:
            for s in samples:
                if s.source != "audio":
                    self._boxes[s.name] = (s.timestamp_ms, box_of(s))
            events = self._tracker.seen(samples)
        self._tell(events, samples)

    def on_words(self, words: list[TranscriptWord]) -> None:
        events = [
            LabelEvent("start", "Speech", "speech", w.start_ms, w.probability, text=w.word)
            for w in words
        ]
        self._tell(events, [])

    def _tell(self, events: list[LabelEvent], samples: list[LabelSample]) -> None:
        with self._lock:
            shown = [(e, self._evidence(e)) for e in events]
            self.sink.labels(shown, samples)

    def _evidence(self, event: LabelEvent) -> bytes | None:
        """A JPEG of the picture the event was seen in, with its box (start and update of
        picture labels)."""
        if event.kind == "end" or event.source != "picture":
            return None
        rgb = self._recent.get(event.stream_ms)
        if rgb is None:
            return None
        return jpeg_with_boxes(rgb, {event.label: event.box}, event.stream_ms)

    def _stopped(self, then: Callable[[], None]) -> None:
        """The source stopped: open labels end where they were last seen."""
        with self._lock:
            ended = self._tracker.end_all()
            self._boxes.clear()
        if ended:
            self._tell(ended, [])
        then()

    def _sound_loop(self, stop: threading.Event) -> None:
        while not stop.is_set():
            self._sound_ready.wait(0.5)
            self._sound_ready.clear()
            while self._sounds and not stop.is_set():
                piece = self._sounds.popleft()
                try:
                    self.run.feed_audio(piece.pcm, piece.start_ms)
                except Exception:  # the run was closed under it
                    return
            with self._lock:
                ended = self._tracker.expire(self.last_ms or 0, "sound")
            if ended:
                self._tell(ended, [])
