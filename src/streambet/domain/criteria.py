"""Machine-checkable criteria: data, validation against a vocabulary, and a pure evaluator.

A criterion is a label condition or a combination of them (`all`, `any`, `not`). In JSON:

    {"label": "Cat", "min_confidence": 80, "start_ms": 0, "end_ms": 30000,
     "min_count": 1, "min_duration_ms": 0,
     "region": {"left": 0, "top": 0, "width": 0.5, "height": 1}}
    {"spoken": "goal", "min_confidence": 50, "start_ms": 0, "end_ms": 30000}
    {"text": "SCORE", "min_confidence": 80, "start_ms": 0, "end_ms": 30000}
    {"all": [...]}   {"any": [...]}   {"not": {...}}

Labels are resolved through the vocabulary when the market is created, so an unknown label
is refused then; at evaluation a detection matches by name, alias or ancestor ("Animal"
matches a detected Cat whose parents include Animal).

A `spoken` criterion is a word or short phrase said on the sound track (the engine's
speech-to-text words, matched case-insensitively without punctuation, as consecutive words).
A `text` criterion is a word or phrase shown on screen: the engine's OCR readings, matched
the same way, anywhere inside one reading ("EINFACH" is in a reading "EINFACH 2").

Every node has a score in 0-100: for a label, the highest confidence at which all its
conditions (window, count, region, duration) are met at once; for a phrase, the best
occurrence's weakest word probability; for on-screen text, the best reading holding it;
`all` takes the minimum,
`any` the maximum, `not` 100 minus its child. A label holds when its score reaches its
`min_confidence`.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from streambet.domain.errors import ValidationFailed
from streambet.timeline import BoundingBox, LabelInfo, Timeline

MAX_NODES = 32
MAX_DEPTH = 4
EVIDENCE_PER_LABEL = 20


class LabelVocabulary(Protocol):
    def resolve(self, name: str) -> LabelInfo | None:
        """The label called `name` (case-insensitive, aliases accepted), or None."""


class FootageVocabulary:
    """A vocabulary plus what the footage's own engine reported: every label in its
    timeline, with aliases and parents. A market on a clip that Rekognition analysed may
    then name what Rekognition saw ("Pet", a parent of its Dog), which the local taxonomy
    does not know. The base vocabulary answers first, so its spelling wins."""

    def __init__(self, base: LabelVocabulary, labels: Mapping[str, LabelInfo]) -> None:
        self._base = base
        self._seen: dict[str, LabelInfo] = {}
        for info in labels.values():
            for name in (info.name, *info.aliases):
                self._seen.setdefault(name.casefold(), info)
        for info in labels.values():
            for parent in info.parents:
                self._seen.setdefault(parent.casefold(), LabelInfo(parent))

    def resolve(self, name: str) -> LabelInfo | None:
        return self._base.resolve(name) or self._seen.get(name.casefold())


@dataclass(frozen=True)
class Region:
    left: float
    top: float
    width: float
    height: float

    def contains_centre(self, box: BoundingBox) -> bool:
        x = box.left + box.width / 2
        y = box.top + box.height / 2
        return self.left <= x <= self.left + self.width and self.top <= y <= self.top + self.height


@dataclass(frozen=True)
class LabelCriterion:
    label: str
    min_confidence: float = 80.0
    start_ms: int = 0
    end_ms: int | None = None
    min_count: int = 1
    min_duration_ms: int = 0
    region: Region | None = None


@dataclass(frozen=True)
class AllOf:
    items: tuple[Criterion, ...]


@dataclass(frozen=True)
class AnyOf:
    items: tuple[Criterion, ...]


@dataclass(frozen=True)
class Not:
    item: Criterion


@dataclass(frozen=True)
class SpokenCriterion:
    phrase: tuple[str, ...]  # normalised words
    min_confidence: float = 50.0
    start_ms: int = 0
    end_ms: int | None = None


@dataclass(frozen=True)
class TextCriterion:
    phrase: tuple[str, ...]  # normalised words
    min_confidence: float = 80.0
    start_ms: int = 0
    end_ms: int | None = None


Criterion = LabelCriterion | SpokenCriterion | TextCriterion | AllOf | AnyOf | Not
MAX_PHRASE_WORDS = 6


# --- parsing and validation --------------------------------------------------------------


def _fail(message: str, path: str) -> ValidationFailed:
    return ValidationFailed(message, details={"field": path or "criteria"})


# Whole numbers in criteria (ms, counts) stay below 2**53: exact as floats, and far past
# any video; larger ones are refused rather than overflowing later.
MAX_WHOLE = 2**53


def _number(data: Mapping[str, Any], key: str, default: float, path: str) -> float:
    value = data.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _fail(f"'{key}' must be a number.", f"{path}.{key}")
    if (isinstance(value, int) and abs(value) > MAX_WHOLE) or not math.isfinite(value):
        raise _fail(f"'{key}' must be a finite number of sensible size.", f"{path}.{key}")
    return float(value)


def _int(data: Mapping[str, Any], key: str, default: int | None, path: str) -> int | None:
    value = data.get(key, default)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_WHOLE:
        raise _fail(f"'{key}' must be a whole number from 0 to 2**53.", f"{path}.{key}")
    return value


def parse_criteria(data: object, vocabulary: LabelVocabulary) -> Criterion:
    """Validates JSON criteria; unknown labels, bad ranges and unknown keys are refused."""
    count = [0]
    return _parse(data, vocabulary, "criteria", 0, count)


def _parse(
    data: object, vocabulary: LabelVocabulary, path: str, depth: int, count: list[int]
) -> Criterion:
    count[0] += 1
    if count[0] > MAX_NODES or depth > MAX_DEPTH:
        raise _fail(f"Criteria are limited to {MAX_NODES} nodes, {MAX_DEPTH} deep.", path)
    if not isinstance(data, Mapping):
        raise _fail("A criterion is a JSON object.", path)
    combinators = [k for k in ("all", "any", "not") if k in data]
    if combinators:
        if len(data) != 1:
            raise _fail("A combinator object has exactly one key: all, any or not.", path)
        key = combinators[0]
        if key == "not":
            return Not(_parse(data["not"], vocabulary, f"{path}.not", depth + 1, count))
        items = data[key]
        if not isinstance(items, list) or not items:
            raise _fail(f"'{key}' takes a non-empty list.", f"{path}.{key}")
        parsed = tuple(
            _parse(item, vocabulary, f"{path}.{key}.{i}", depth + 1, count)
            for i, item in enumerate(items)
        )
        return AllOf(parsed) if key == "all" else AnyOf(parsed)
    if "spoken" in data:
        return _parse_spoken(data, path)
    if "text" in data:
        return _parse_text(data, path)
    return _parse_label(data, vocabulary, path)


_SPOKEN_KEYS = {"spoken", "min_confidence", "start_ms", "end_ms"}


def normalise_words(text: str) -> tuple[str, ...]:
    """Lower-case words without punctuation: "Goal!" and "goal" are the same word."""
    return tuple(
        w for w in ("".join(ch for ch in t if ch.isalnum()) for t in text.casefold().split()) if w
    )


def _window(data: Mapping[str, Any], path: str) -> tuple[int, int | None]:
    start = _int(data, "start_ms", 0, path) or 0
    end = _int(data, "end_ms", None, path)
    if end is not None and end <= start:
        raise _fail("'end_ms' must be after 'start_ms'.", f"{path}.end_ms")
    return start, end


def _confidence(data: Mapping[str, Any], default: float, path: str) -> float:
    value = _number(data, "min_confidence", default, path)
    if not 0 < value <= 100:
        raise _fail("'min_confidence' is in (0, 100].", f"{path}.min_confidence")
    return value


def _parse_spoken(data: Mapping[str, Any], path: str) -> Criterion:
    unknown = set(data) - _SPOKEN_KEYS
    if unknown:
        raise _fail(f"Unknown criterion keys: {', '.join(sorted(unknown))}.", path)
    text = data["spoken"]
    phrase = normalise_words(text) if isinstance(text, str) else ()
    if not 1 <= len(phrase) <= MAX_PHRASE_WORDS:
        raise _fail(
            f"'spoken' is a word or a phrase of up to {MAX_PHRASE_WORDS} words.", f"{path}.spoken"
        )
    start, end = _window(data, path)
    return SpokenCriterion(phrase, _confidence(data, 50.0, path), start, end)


_TEXT_KEYS = {"text", "min_confidence", "start_ms", "end_ms"}
MAX_TEXT_CHARS = 64


def _parse_text(data: Mapping[str, Any], path: str) -> Criterion:
    unknown = set(data) - _TEXT_KEYS
    if unknown:
        raise _fail(f"Unknown criterion keys: {', '.join(sorted(unknown))}.", path)
    text = data["text"]
    phrase = normalise_words(text) if isinstance(text, str) else ()
    if not phrase or not isinstance(text, str) or len(text) > MAX_TEXT_CHARS:
        raise _fail(
            f"'text' is a word or phrase shown on screen, up to {MAX_TEXT_CHARS} characters.",
            f"{path}.text",
        )
    start, end = _window(data, path)
    return TextCriterion(phrase, _confidence(data, 80.0, path), start, end)


_LABEL_KEYS = {
    "label",
    "min_confidence",
    "start_ms",
    "end_ms",
    "min_count",
    "min_duration_ms",
    "region",
}


def _parse_label(data: Mapping[str, Any], vocabulary: LabelVocabulary, path: str) -> Criterion:
    unknown = set(data) - _LABEL_KEYS
    if unknown:
        raise _fail(f"Unknown criterion keys: {', '.join(sorted(unknown))}.", path)
    name = data.get("label")
    if not isinstance(name, str) or not name.strip():
        raise _fail("A criterion needs a 'label' (or all / any / not).", f"{path}.label")
    info = vocabulary.resolve(name.strip())
    if info is None:
        raise _fail(f"Unknown label {name!r}: the engine cannot detect it.", f"{path}.label")
    min_conf = _confidence(data, 80.0, path)
    start, end = _window(data, path)
    min_count = _int(data, "min_count", 1, path) or 0
    if not 1 <= min_count <= 100:
        raise _fail("'min_count' is 1 to 100.", f"{path}.min_count")
    min_duration = _int(data, "min_duration_ms", 0, path) or 0
    region = None
    if data.get("region") is not None:
        region = _parse_region(data["region"], f"{path}.region")
    return LabelCriterion(info.name, min_conf, start, end, min_count, min_duration, region)


def _parse_region(data: object, path: str) -> Region:
    if not isinstance(data, Mapping) or set(data) != {"left", "top", "width", "height"}:
        raise _fail("A region is {left, top, width, height} as ratios of the frame.", path)
    values = [_number(data, k, 0.0, path) for k in ("left", "top", "width", "height")]
    left, top, width, height = values
    if not (0 <= left < 1 and 0 <= top < 1 and width > 0 and height > 0):
        raise _fail("Region values are ratios of the frame (0-1).", path)
    if left + width > 1 + 1e-9 or top + height > 1 + 1e-9:
        raise _fail("The region must lie inside the frame.", path)
    return Region(left, top, width, height)


def label_names(criterion: Criterion) -> list[str]:
    """The labels a criterion looks for, in order, once each (spoken words are not labels)."""
    if isinstance(criterion, AllOf | AnyOf):
        names = [n for c in criterion.items for n in label_names(c)]
        return list(dict.fromkeys(names))
    if isinstance(criterion, Not):
        return label_names(criterion.item)
    if isinstance(criterion, LabelCriterion):
        return [criterion.label]
    return []


def to_dict(criterion: Criterion) -> dict[str, Any]:
    if isinstance(criterion, AllOf):
        return {"all": [to_dict(c) for c in criterion.items]}
    if isinstance(criterion, AnyOf):
        return {"any": [to_dict(c) for c in criterion.items]}
    if isinstance(criterion, Not):
        return {"not": to_dict(criterion.item)}
    if isinstance(criterion, TextCriterion):
        return {
            "text": " ".join(criterion.phrase),
            "min_confidence": criterion.min_confidence,
            "start_ms": criterion.start_ms,
            "end_ms": criterion.end_ms,
        }
    if isinstance(criterion, SpokenCriterion):
        return {
            "spoken": " ".join(criterion.phrase),
            "min_confidence": criterion.min_confidence,
            "start_ms": criterion.start_ms,
            "end_ms": criterion.end_ms,
        }
    out: dict[str, Any] = {
        "label": criterion.label,
        "min_confidence": criterion.min_confidence,
        "start_ms": criterion.start_ms,
        "end_ms": criterion.end_ms,
        "min_count": criterion.min_count,
        "min_duration_ms": criterion.min_duration_ms,
    }
    if criterion.region is not None:
        r = criterion.region
        out["region"] = {"left": r.left, "top": r.top, "width": r.width, "height": r.height}
    return out


# --- evaluation -----------------------------------------------------------------------------


@dataclass(frozen=True)
class EvidenceItem:
    label: str  # the criterion's label
    detected: str  # the name the engine reported (a Cat for "Animal")
    timestamp_ms: int
    confidence: float
    boxes: tuple[BoundingBox, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "label": self.label,
            "detected": self.detected,
            "timestamp_ms": self.timestamp_ms,
            "confidence": self.confidence,
            "boxes": [b.to_dict() for b in self.boxes],
        }


@dataclass(frozen=True)
class Evaluation:
    holds: bool
    confidence: float  # the node's score, 0-100
    complete: bool  # every window it looks at was analysed
    absence: bool  # it claims something did NOT happen (needs complete coverage)
    evidence: tuple[EvidenceItem, ...]
    model_version: str


def evaluate(criterion: Criterion, timeline: Timeline) -> Evaluation:
    """Pure: the same criterion and timeline always give the same evaluation."""
    holds, score, complete, absence, evidence = _eval(criterion, timeline)
    return Evaluation(holds, round(score, 2), complete, absence, evidence, timeline.model_version)


_Result = tuple[bool, float, bool, bool, tuple[EvidenceItem, ...]]


def _eval(criterion: Criterion, timeline: Timeline) -> _Result:
    if isinstance(criterion, AllOf | AnyOf):
        parts = [_eval(c, timeline) for c in criterion.items]
        pick = all if isinstance(criterion, AllOf) else any
        score = (min if isinstance(criterion, AllOf) else max)(p[1] for p in parts)
        evidence = tuple(e for p in parts for e in p[4])
        return (
            pick(p[0] for p in parts),
            score,
            all(p[2] for p in parts),
            any(p[3] for p in parts),
            evidence,
        )
    if isinstance(criterion, Not):
        holds, score, complete, _, evidence = _eval(criterion.item, timeline)
        return not holds, 100.0 - score, complete, True, evidence
    if isinstance(criterion, SpokenCriterion):
        return _eval_spoken(criterion, timeline)
    if isinstance(criterion, TextCriterion):
        return _eval_text(criterion, timeline)
    return _eval_label(criterion, timeline)


def _holds_phrase(words: tuple[str, ...], phrase: tuple[str, ...]) -> bool:
    """`phrase` as consecutive words of `words`, its first and last word possibly inside a
    longer OCR token ("EINFACH" in "EINFACH2"), its middle words whole."""
    n = len(phrase)
    for i in range(len(words) - n + 1):
        window = words[i : i + n]
        if n == 1:
            if window[0].startswith(phrase[0]) or window[0].endswith(phrase[0]):
                return True
        elif (
            window[0].endswith(phrase[0])
            and window[-1].startswith(phrase[-1])
            and window[1:-1] == phrase[1:-1]
        ):
            return True
    return False


def _eval_text(c: TextCriterion, timeline: Timeline) -> _Result:
    # a reading is read once and holds for its window (until end_ms, exclusive)
    hits = [
        t
        for t in timeline.texts
        if max(t.timestamp_ms + 1, t.end_ms or 0) > c.start_ms
        and (c.end_ms is None or t.timestamp_ms < c.end_ms)
        and _holds_phrase(normalise_words(t.text), c.phrase)
    ]
    score = max((t.confidence for t in hits), default=0.0)
    label = "text: " + " ".join(c.phrase)
    evidence = tuple(
        EvidenceItem(
            label,
            t.text,
            max(t.timestamp_ms, c.start_ms),  # inside the window: the text was on screen
            t.confidence,
            (t.box,) if t.box else (),
        )
        for t in sorted(hits, key=lambda t: -t.confidence)[:EVIDENCE_PER_LABEL]
        if t.confidence >= min(score, c.min_confidence)
    )
    complete = _covered(c.start_ms, c.end_ms, timeline, timeline.analysed_until_ms)
    return score >= c.min_confidence, score, complete, False, evidence


def _eval_spoken(c: SpokenCriterion, timeline: Timeline) -> _Result:
    words = [
        (w, normalise_words(w.word))
        for w in timeline.words
        if w.start_ms >= c.start_ms and (c.end_ms is None or w.start_ms < c.end_ms)
    ]
    # Whisper may glue or split tokens; compare the flat word sequence.
    flat = [(w, token) for w, tokens in words for token in tokens]
    n = len(c.phrase)
    hits: list[tuple[float, int]] = []  # (score, start index)
    for i in range(len(flat) - n + 1):
        if tuple(token for _, token in flat[i : i + n]) == c.phrase:
            hits.append((min(w.probability for w, _ in flat[i : i + n]), i))
    score = max((h[0] for h in hits), default=0.0)
    label = "spoken: " + " ".join(c.phrase)
    evidence = tuple(
        EvidenceItem(label, " ".join(t for _, t in flat[i : i + n]), flat[i][0].start_ms, sc, ())
        for sc, i in sorted(hits, key=lambda h: -h[0])[:EVIDENCE_PER_LABEL]
        if sc >= min(score, c.min_confidence)
    )
    complete = _covered(c.start_ms, c.end_ms, timeline, timeline.speech_until_ms)
    return score >= c.min_confidence, score, complete, False, evidence


def matches(info: LabelInfo, wanted: str) -> bool:
    want = wanted.casefold()
    return (
        info.name.casefold() == want
        or any(a.casefold() == want for a in info.aliases)
        or any(p.casefold() == want for p in info.parents)
    )


@dataclass(frozen=True)
class _Point:
    timestamp_ms: int
    score: float
    detected: str
    boxes: tuple[BoundingBox, ...]


_Seen = tuple[float, BoundingBox, int | None]  # an instance: confidence, box, track


def _distinct(seen: Iterable[_Seen]) -> list[_Seen]:
    """Best first, one per tracked object: a car is also a Vehicle in the same sample, and
    a criterion on Vehicle sees both samples' boxes of it (untracked boxes all count)."""
    out: list[_Seen] = []
    tracks: set[int] = set()
    for item in sorted(seen, key=lambda x: -x[0]):
        if item[2] is not None:
            if item[2] in tracks:
                continue
            tracks.add(item[2])
        out.append(item)
    return out


def _points(c: LabelCriterion, timeline: Timeline) -> list[_Point]:
    """One scored point per sampled timestamp inside the window where the label appears."""
    by_time: dict[int, list[tuple[str, float, list[_Seen]]]] = {}
    for s in timeline.samples:
        if s.timestamp_ms < c.start_ms or (c.end_ms is not None and s.timestamp_ms >= c.end_ms):
            continue
        if not matches(timeline.info(s.name), c.label):
            continue
        inst = [
            (i.confidence, i.box, i.track)
            for i in s.instances
            if c.region is None or c.region.contains_centre(i.box)
        ]
        by_time.setdefault(s.timestamp_ms, []).append((s.name, s.confidence, inst))
    points = []
    for t in sorted(by_time):
        hits = by_time[t]
        best_name, best_conf, _ = max(hits, key=lambda h: h[1])
        instances = _distinct(x for h in hits for x in h[2])
        if c.region is None and c.min_count == 1:
            # A detection with an empty Instances list still counts once.
            score = best_conf
        elif len(instances) >= c.min_count:
            score = min(best_conf, instances[c.min_count - 1][0])
        else:
            continue
        points.append(_Point(t, score, best_name, tuple(b for _, b, _ in instances[:10])))
    return points


def _runs_at(points: Sequence[_Point], threshold: float, gap_ms: int) -> list[list[_Point]]:
    runs: list[list[_Point]] = []
    for p in points:
        if p.score < threshold:
            continue
        if runs and p.timestamp_ms - runs[-1][-1].timestamp_ms <= gap_ms:
            runs[-1].append(p)
        else:
            runs.append([p])
    return runs


def _span(run: Sequence[_Point], interval: int) -> int:
    return run[-1].timestamp_ms - run[0].timestamp_ms + interval


def _eval_label(c: LabelCriterion, timeline: Timeline) -> _Result:
    points = _points(c, timeline)
    interval = max(timeline.sample_interval_ms, 1)
    gap = interval + interval // 2  # one late sample does not break a run
    score = 0.0
    support: list[_Point] = []
    if c.min_duration_ms <= 0:
        if points:
            score = max(p.score for p in points)
            support = [p for p in points if p.score >= min(score, c.min_confidence)]
    else:
        # The highest threshold at which some run of samples lasts long enough.
        for threshold in sorted({p.score for p in points}, reverse=True):
            long_runs = [
                r
                for r in _runs_at(points, threshold, gap)
                if _span(r, interval) >= c.min_duration_ms
            ]
            if long_runs:
                score = threshold
                support = max(long_runs, key=len)
                break
    holds = score >= c.min_confidence
    evidence = tuple(
        EvidenceItem(c.label, p.detected, p.timestamp_ms, p.score, p.boxes)
        for p in support[:EVIDENCE_PER_LABEL]
    )
    return (
        holds,
        score,
        _covered(c.start_ms, c.end_ms, timeline, timeline.analysed_until_ms),
        False,
        evidence,
    )


def _covered(start_ms: int, end_ms: int | None, timeline: Timeline, until_ms: int) -> bool:
    """Whether the window [start, end) was looked at: analysis began by its start and
    reached `until_ms` (frames analysed, or speech transcribed) past its end. An open end is
    the end of the video."""
    duration = timeline.video.duration_ms
    end = end_ms if end_ms is not None else duration
    if duration > 0:
        end = min(end, duration)
    if end <= 0:
        return False  # neither the criterion nor the video says where the window ends
    return timeline.analysed_from_ms <= start_ms and until_ms >= end
