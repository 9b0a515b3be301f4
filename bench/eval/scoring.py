"""Scoring the engine's claims against the labelled truth (bench/eval/truth.json).

Pure functions on plain data: no engine, no files. bench/accuracy.py runs the engine and
feeds them; tests/unit/bench checks them on hand-built claims and truth.

Terms:
- A *claim* is one label sample of the engine's timeline: a label at one sampled time with
  the confidence settlement reads (`confidence`, the smoothed score), by one source.
- A *window* is a truth entry: a label that is in the picture (or on the sound track) from
  `start_ms` to `end_ms`. `present` windows are what the engine should find (recall);
  `acceptable` windows are true but not required (fine-grained or incidental things).
  Every window of a listed label is listed, so a claim of that label outside all of them
  is wrong.
- A claim is *correct* when a present or acceptable window at its time (within
  `LABEL_TOLERANCE_MS`) has its label, a taxonomy ancestor of it (the truth says "Cat",
  the claim "Tiger Cat") or a descendant (the claim says "Animal").
- It is *incorrect* when its label (or an ancestor of it) is listed absent for the clip,
  when it is the label (or a descendant) of a window at another time, or when its
  taxonomy category is one the clip declares closed (every label of that category that
  is there is listed). Listed-absent wins over everything except an exact window.
- Anything else is *unknown*: reported, not counted for or against precision.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from difflib import SequenceMatcher
from typing import Any

LABEL_TOLERANCE_MS = 1000  # samples every 500 ms, and aggregation confirms a sample late
CUT_TOLERANCE_MS = 600
TEXT_TOLERANCE_MS = 1000
SPEECH_TOLERANCE_MS = 1000
TEXT_MATCH = 0.8  # similarity (0-1) at which a reading counts as the string
BOX_IOU = 0.3  # rough boxes: a box overlapping this much marks the right thing
THRESHOLDS = (50.0, 80.0)

CORRECT, INCORRECT, UNKNOWN = "correct", "incorrect", "unknown"


@dataclass(frozen=True)
class Box:
    """Ratios of the frame, as in the timeline (left, top, width, height)."""

    left: float
    top: float
    width: float
    height: float

    def iou(self, other: Box) -> float:
        w = min(self.left + self.width, other.left + other.width) - max(self.left, other.left)
        h = min(self.top + self.height, other.top + other.height) - max(self.top, other.top)
        inter = max(0.0, w) * max(0.0, h)
        union = self.width * self.height + other.width * other.height - inter
        return inter / union if union > 0 else 0.0


@dataclass(frozen=True)
class Window:
    label: str
    start_ms: int
    end_ms: int
    box: Box | None = None

    def holds(self, t: int, tolerance: int = 0) -> bool:
        return self.start_ms - tolerance <= t <= self.end_ms + tolerance


@dataclass(frozen=True)
class TextTruth:
    text: str
    start_ms: int
    end_ms: int


@dataclass(frozen=True)
class SpeechTruth:
    text: str
    start_ms: int
    end_ms: int


@dataclass(frozen=True)
class ClipTruth:
    id: str
    file: str
    duration_ms: int
    present: tuple[Window, ...] = ()
    acceptable: tuple[Window, ...] = ()
    absent: frozenset[str] = frozenset()
    closed: frozenset[str] = frozenset()
    cuts_ms: tuple[int, ...] = ()
    text: tuple[TextTruth, ...] = ()
    speech: tuple[SpeechTruth, ...] = ()


@dataclass(frozen=True)
class Claim:
    clip: str
    label: str
    source: str
    confidence: float
    time_ms: int
    top_confidence: float = 0.0
    raw_confidence: float = 0.0  # the winning detector's own score in this sample
    boxes: tuple[Box, ...] = ()


@dataclass
class Lineage:
    """Taxonomy facts the scoring needs: every ancestor of a label (nearest first) and its
    categories. Labels it does not know have none."""

    parents: Mapping[str, Sequence[str]] = field(default_factory=dict)
    categories: Mapping[str, Sequence[str]] = field(default_factory=dict)

    def ancestors(self, label: str) -> tuple[str, ...]:
        return tuple(self.parents.get(label, ()))

    def category_of(self, label: str) -> tuple[str, ...]:
        return tuple(self.categories.get(label, ()))

    def covers(self, truth_label: str, claimed: str) -> bool:
        """The claim names the truth label or something more specific under it."""
        return claimed == truth_label or truth_label in self.ancestors(claimed)

    def related(self, truth_label: str, claimed: str) -> bool:
        return self.covers(truth_label, claimed) or claimed in self.ancestors(truth_label)


# --- truth file -----------------------------------------------------------------------


def _box(d: Any) -> Box | None:
    return Box(*(float(d[k]) for k in ("left", "top", "width", "height"))) if d else None


def _windows(items: Iterable[Mapping[str, Any]], duration_ms: int) -> tuple[Window, ...]:
    return tuple(
        Window(
            str(w["label"]),
            int(w.get("start_ms", 0)),
            int(w.get("end_ms", duration_ms)),
            _box(w.get("box")),
        )
        for w in items
    )


def parse_truth(doc: Mapping[str, Any]) -> list[ClipTruth]:
    """The truth file's clips, each with the file's default absent labels merged in
    (except those the clip lists as present, acceptable or unsure)."""
    default_absent = set(doc.get("defaults", {}).get("absent", ()))
    default_closed = set(doc.get("defaults", {}).get("closed", ()))
    clips = []
    for c in doc["clips"]:
        duration = int(c["duration_ms"])
        present = _windows(c.get("present", ()), duration)
        acceptable = _windows(c.get("acceptable", ()), duration)
        there = {w.label for w in present + acceptable} | set(c.get("unsure", ()))
        absent = (default_absent | set(c.get("absent", ()))) - there
        clips.append(
            ClipTruth(
                id=str(c["id"]),
                file=str(c["file"]),
                duration_ms=duration,
                present=present,
                acceptable=acceptable,
                absent=frozenset(absent),
                closed=frozenset(default_closed | set(c.get("closed", ()))),
                cuts_ms=tuple(int(t) for t in c.get("cuts_ms", ())),
                text=tuple(
                    TextTruth(str(t["text"]), int(t["start_ms"]), int(t["end_ms"]))
                    for t in c.get("text", ())
                ),
                speech=tuple(
                    SpeechTruth(str(s["text"]), int(s["start_ms"]), int(s["end_ms"]))
                    for s in c.get("speech", ())
                ),
            )
        )
    return clips


# --- label claims ---------------------------------------------------------------------


def judge(
    claim: Claim, truth: ClipTruth, lineage: Lineage, tolerance: int = LABEL_TOLERANCE_MS
) -> tuple[str, str]:
    """(verdict, reason) for one claim; see the module docstring for the rules."""
    label, t = claim.label, claim.time_ms
    windows = truth.present + truth.acceptable
    if any(w.label == label and w.holds(t, tolerance) for w in windows):
        return CORRECT, "in a window of its label"
    if label in truth.absent:
        return INCORRECT, "listed absent"
    supporting = [w for w in windows if lineage.related(w.label, label) and w.holds(t, tolerance)]
    absent_above = [a for a in lineage.ancestors(label) if a in truth.absent]
    if absent_above:
        return INCORRECT, f"under listed-absent {absent_above[0]}"
    if supporting:
        return CORRECT, f"related to {supporting[0].label} in the truth"
    elsewhere = [w for w in windows if lineage.covers(w.label, label)]
    if elsewhere:
        return INCORRECT, f"outside the windows of {elsewhere[0].label}"
    closed = [c for c in lineage.category_of(label) if c in truth.closed]
    if closed:
        return INCORRECT, f"closed category {closed[0]}"
    return UNKNOWN, "not in the truth"


@dataclass
class Found:
    """How the engine did on one present window."""

    clip: str
    window: Window
    best: float = 0.0  # highest confidence of a covering claim in the window
    by_source: dict[str, float] = field(default_factory=dict)
    coverage: float = 0.0  # share of the window's samples with a covering claim >= 50
    box_iou: float | None = None  # best IoU of a claim's box (>= 50) with the truth box

    def found(self, threshold: float, source: str | None = None) -> bool:
        score = self.best if source is None else self.by_source.get(source, 0.0)
        return score >= threshold


def find(
    truth: ClipTruth,
    claims: Sequence[Claim],
    lineage: Lineage,
    interval_ms: int,
    tolerance: int = LABEL_TOLERANCE_MS,
) -> list[Found]:
    """One `Found` per present window of the clip."""
    out = []
    for w in truth.present:
        hits = [
            c for c in claims if lineage.covers(w.label, c.label) and w.holds(c.time_ms, tolerance)
        ]
        f = Found(truth.id, w)
        for c in hits:
            f.best = max(f.best, c.confidence)
            f.by_source[c.source] = max(f.by_source.get(c.source, 0.0), c.confidence)
        inside = {c.time_ms for c in hits if c.confidence >= THRESHOLDS[0] and w.holds(c.time_ms)}
        span = max(1, w.end_ms - w.start_ms)
        f.coverage = min(1.0, len(inside) * interval_ms / span) if inside else 0.0
        if w.box is not None:
            ious = [b.iou(w.box) for c in hits if c.confidence >= THRESHOLDS[0] for b in c.boxes]
            f.box_iou = max(ious, default=0.0)
        out.append(f)
    return out


def ratio(part: int, whole: int) -> float | None:
    return part / whole if whole else None


# --- cuts -----------------------------------------------------------------------------


def match_cuts(
    truth_ms: Sequence[int], found_ms: Sequence[int], tolerance: int = CUT_TOLERANCE_MS
) -> tuple[int, int]:
    """(truth cuts matched, engine cuts that match none); each cut matches at most one,
    nearest first."""
    pairs = sorted(
        (abs(t - f), i, j)
        for i, t in enumerate(truth_ms)
        for j, f in enumerate(found_ms)
        if abs(t - f) <= tolerance
    )
    used_t: set[int] = set()
    used_f: set[int] = set()
    for _, i, j in pairs:
        if i not in used_t and j not in used_f:
            used_t.add(i)
            used_f.add(j)
    return len(used_t), len(found_ms) - len(used_f)


# --- text and speech ------------------------------------------------------------------


def normalise(text: str) -> str:
    return " ".join(re.sub(r"[^0-9A-Z]+", " ", text.upper()).split())


def similarity(wanted: str, read: str) -> float:
    """How well `read` contains `wanted` (0-1): the best SequenceMatcher ratio of `wanted`
    against any stretch of `read` of its length (OCR often reads a longer line)."""
    a, b = normalise(wanted), normalise(read)
    if not a or not b:
        return 0.0
    if len(b) <= len(a):
        return SequenceMatcher(None, a, b).ratio()
    return max(
        SequenceMatcher(None, a, b[i : i + len(a)]).ratio() for i in range(len(b) - len(a) + 1)
    )


def read_text(
    wanted: TextTruth,
    readings: Sequence[tuple[int, str]],
    tolerance: int = TEXT_TOLERANCE_MS,
) -> tuple[float, str]:
    """(best similarity, that reading) among readings in the window; the readings of one
    timestamp are also tried joined, as OCR splits lines and words."""
    near: dict[int, list[str]] = {}
    for t, text in readings:
        if wanted.start_ms - tolerance <= t <= wanted.end_ms + tolerance:
            near.setdefault(t, []).append(text)
    best, best_text = 0.0, ""
    for texts in near.values():
        for candidate in [*texts, " ".join(texts)]:
            s = similarity(wanted.text, candidate)
            if s > best:
                best, best_text = s, candidate
    return best, best_text


def heard_words(
    said: SpeechTruth,
    words: Sequence[tuple[int, int, str]],
    tolerance: int = SPEECH_TOLERANCE_MS,
) -> tuple[int, int]:
    """(words of the sentence transcribed in its window, words in the sentence)."""
    wanted = normalise(said.text).split()
    heard = [
        normalise(w)
        for start, end, w in words
        if end >= said.start_ms - tolerance and start <= said.end_ms + tolerance
    ]
    pool = [h for h in heard if h]
    got = 0
    for word in wanted:
        match = next(
            (h for h in pool if SequenceMatcher(None, word, h).ratio() >= TEXT_MATCH), None
        )
        if match is not None:
            pool.remove(match)
            got += 1
    return got, len(wanted)


# --- sources --------------------------------------------------------------------------

FULL_FRAME = Box(0.0, 0.0, 1.0, 1.0)


def detector_source(source: str, instances: Sequence[tuple[Box, float]]) -> str:
    """The engine names the classifier's whole-frame and regional views one source
    ("classifier"); the view is the box of its best instance (the whole frame or a
    region). Other sources pass through unchanged."""
    if source != "classifier":
        return source
    if not instances:
        return "classifier:frame"
    box, _ = max(instances, key=lambda i: i[1])
    whole = all(
        abs(a - b) < 1e-3
        for a, b in zip(
            (box.left, box.top, box.width, box.height), (0.0, 0.0, 1.0, 1.0), strict=True
        )
    )
    return "classifier:frame" if whole else "classifier:regions"
