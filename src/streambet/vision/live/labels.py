"""Label events from the engine's confirmed samples: a label `start`s when first seen,
gets an `update` when seen with a clearly better confidence (with that sighting's box), and
`end`s once it has not been seen for a while. Pure: the live analysis feeds it samples and
the stream's clock."""

from __future__ import annotations

from dataclasses import dataclass, field

from streambet.timeline import LabelSample

# A label not seen for this long has ended (pictures are sampled every few hundred ms,
# sound is judged about once a second).
PICTURE_LINGER_MS = 1500
SOUND_LINGER_MS = 3000
BETTER_BY = 5.0  # confidence points that make a sighting worth an update


@dataclass(frozen=True)
class LabelEvent:
    kind: str  # start | update | end
    label: str
    source: str  # picture | sound | speech
    stream_ms: int
    confidence: float
    box: tuple[float, float, float, float] | None = None  # left, top, width, height (0-1)
    text: str | None = None


@dataclass
class _Active:
    first_ms: int
    last_ms: int
    best: float
    source: str
    box: tuple[float, float, float, float] | None = field(default=None)


def source_of(sample: LabelSample) -> str:
    return "sound" if sample.source == "audio" else "picture"


def box_of(sample: LabelSample) -> tuple[float, float, float, float] | None:
    if not sample.instances:
        return None
    best = max(sample.instances, key=lambda i: i.confidence)
    b = best.box
    return (round(b.left, 4), round(b.top, 4), round(b.width, 4), round(b.height, 4))


class LabelTracker:
    def __init__(self, picture_linger_ms: int = PICTURE_LINGER_MS) -> None:
        self._active: dict[str, _Active] = {}
        self._linger = {"picture": picture_linger_ms, "sound": SOUND_LINGER_MS}

    def seen(self, samples: list[LabelSample]) -> list[LabelEvent]:
        out: list[LabelEvent] = []
        for s in sorted(samples, key=lambda s: s.timestamp_ms):
            source, box = source_of(s), box_of(s)
            active = self._active.get(s.name)
            if active is None:
                self._active[s.name] = _Active(
                    s.timestamp_ms, s.timestamp_ms, s.confidence, source, box
                )
                out.append(LabelEvent("start", s.name, source, s.timestamp_ms, s.confidence, box))
                continue
            active.last_ms = max(active.last_ms, s.timestamp_ms)
            if s.confidence >= active.best + BETTER_BY:
                active.best, active.box = s.confidence, box or active.box
                out.append(LabelEvent("update", s.name, source, s.timestamp_ms, s.confidence, box))
        return out

    def expire(self, now_ms: int, source: str | None = None) -> list[LabelEvent]:
        """End events for labels (of `source`, or all) not seen within their linger."""
        out = []
        for name, a in list(self._active.items()):
            if (source is None or a.source == source) and now_ms - a.last_ms > self._linger[
                a.source
            ]:
                out.append(self._end(name))
        return out

    def end_all(self) -> list[LabelEvent]:
        """The stream stopped being analysed: every open label ends where it was last seen."""
        return [self._end(name) for name in list(self._active)]

    def _end(self, name: str) -> LabelEvent:
        a = self._active.pop(name)
        return LabelEvent("end", name, a.source, a.last_ms, a.best, a.box)

    @property
    def active(self) -> dict[str, tuple[float, float, float, float] | None]:
        """Labels seen now, with their best box (what the latest frame shows)."""
        return {name: a.box for name, a in self._active.items()}
