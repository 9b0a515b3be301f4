"""Agreement mode: compare two engines' timelines of the same clip, label by label.

For each label either engine saw, the time it was present (at or above `min_confidence`)
is split into: both engines saw it (allowing `tolerance_ms` of timing offset, since
engines sample different frames), only A saw it, only B saw it. Only the stretch both
engines analysed is compared. Labels are matched by name, case-insensitively, and through
aliases ("Human" from one engine is "Person" with alias "Human" from the other).

Settlement asks `agrees_on(label, start_ms, end_ms)` before paying out when a second
opinion is required: do both engines say the same thing (present, or absent) about that
window?
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from streambet.timeline import Timeline

Span = tuple[int, int]  # [start_ms, end_ms)


def _merge(spans: Iterable[Span]) -> list[Span]:
    out: list[Span] = []
    for start, end in sorted(spans):
        if end <= start:
            continue
        if out and start <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], end))
        else:
            out.append((start, end))
    return out


def _clip(spans: list[Span], lo: int, hi: int) -> list[Span]:
    return _merge((max(s, lo), min(e, hi)) for s, e in spans)


def _dilate(spans: list[Span], by: int) -> list[Span]:
    return _merge((s - by, e + by) for s, e in spans)


def _intersect(a: list[Span], b: list[Span]) -> list[Span]:
    out: list[Span] = []
    i = j = 0
    while i < len(a) and j < len(b):
        start, end = max(a[i][0], b[j][0]), min(a[i][1], b[j][1])
        if start < end:
            out.append((start, end))
        if a[i][1] < b[j][1]:
            i += 1
        else:
            j += 1
    return out


def _subtract(a: list[Span], b: list[Span]) -> list[Span]:
    out: list[Span] = []
    for start, end in a:
        cursor = start
        for bs, be in b:
            if be <= cursor or bs >= end:
                continue
            if bs > cursor:
                out.append((cursor, bs))
            cursor = max(cursor, be)
        if cursor < end:
            out.append((cursor, end))
    return out


def _total(spans: list[Span]) -> int:
    return sum(e - s for s, e in spans)


def _overlaps(spans: list[Span], start: int, end: int) -> bool:
    return any(s < end and start < e for s, e in spans)


@dataclass(frozen=True)
class LabelAgreement:
    label: str
    names_a: tuple[str, ...]  # what each engine called it
    names_b: tuple[str, ...]
    present_a: tuple[Span, ...]
    present_b: tuple[Span, ...]
    agreed: tuple[Span, ...]
    only_a: tuple[Span, ...]
    only_b: tuple[Span, ...]

    @property
    def score(self) -> float:
        """Agreed time over all time either engine saw the label: 1.0 full agreement."""
        agreed = _total(list(self.agreed))
        total = agreed + _total(list(self.only_a)) + _total(list(self.only_b))
        return agreed / total if total else 1.0

    @property
    def verdict(self) -> str:
        """agree | partial | only_a | only_b"""
        if not self.present_b:
            return "only_a"
        if not self.present_a:
            return "only_b"
        return "agree" if not self.only_a and not self.only_b else "partial"

    def to_dict(self) -> dict[str, Any]:
        return {
            "label": self.label,
            "names_a": list(self.names_a),
            "names_b": list(self.names_b),
            "verdict": self.verdict,
            "score": round(self.score, 4),
            "agreed": [list(s) for s in self.agreed],
            "only_a": [list(s) for s in self.only_a],
            "only_b": [list(s) for s in self.only_b],
        }


@dataclass
class AgreementReport:
    engine_a: str
    engine_b: str
    compared_from_ms: int
    compared_until_ms: int
    min_confidence: float
    tolerance_ms: int
    labels: dict[str, LabelAgreement] = field(default_factory=dict)

    def get(self, name: str) -> LabelAgreement | None:
        low = name.lower()
        for key, agreement in self.labels.items():
            names = {key.lower(), *(n.lower() for n in agreement.names_a + agreement.names_b)}
            if low in names:
                return agreement
        return None

    def agrees_on(self, name: str, start_ms: int, end_ms: int) -> bool | None:
        """Both engines say the label is present in [start_ms, end_ms), or both say it is
        absent (within the tolerance). None when that window was not analysed by both."""
        if start_ms < self.compared_from_ms or end_ms > self.compared_until_ms:
            return None
        agreement = self.get(name)
        if agreement is None:
            return True  # neither engine saw it anywhere
        window = (start_ms - self.tolerance_ms, end_ms + self.tolerance_ms)
        seen_a = _overlaps(list(agreement.present_a), *window)
        seen_b = _overlaps(list(agreement.present_b), *window)
        return seen_a == seen_b

    @property
    def disagreements(self) -> list[str]:
        return [k for k, v in self.labels.items() if v.verdict != "agree"]

    def to_dict(self) -> dict[str, Any]:
        return {
            "engine_a": self.engine_a,
            "engine_b": self.engine_b,
            "compared_from_ms": self.compared_from_ms,
            "compared_until_ms": self.compared_until_ms,
            "min_confidence": self.min_confidence,
            "tolerance_ms": self.tolerance_ms,
            "labels": {k: v.to_dict() for k, v in self.labels.items()},
        }


def _until(t: Timeline) -> int:
    if t.analysed_until_ms:
        return t.analysed_until_ms
    if t.video.duration_ms:
        return t.video.duration_ms
    return max((s.timestamp_ms for s in t.samples), default=0) + max(1, t.sample_interval_ms)


def _names(t: Timeline) -> set[str]:
    return {s.name.lower() for s in t.samples} | {n.lower() for n in t.labels}


def _alias_targets(t: Timeline) -> dict[str, str]:
    return {a.lower(): info.name.lower() for info in t.labels.values() for a in info.aliases}


def _presence(t: Timeline, min_confidence: float, canon: dict[str, str]) -> dict[str, list[Span]]:
    step = max(1, t.sample_interval_ms)
    spans: dict[str, list[Span]] = {}
    for s in t.samples:
        if s.confidence >= min_confidence:
            spans.setdefault(canon[s.name], []).append((s.timestamp_ms, s.timestamp_ms + step))
    return {k: _merge(v) for k, v in spans.items()}


def _canon(own: Timeline, other: Timeline) -> dict[str, str]:
    """Map this timeline's label names to shared keys: a name the other engine does not
    use but lists as an alias of one of its labels becomes that label."""
    other_names, other_aliases = _names(other), _alias_targets(other)
    out = {}
    for name in {s.name for s in own.samples}:
        low = name.lower()
        out[name] = other_aliases[low] if low not in other_names and low in other_aliases else low
    return out


def compare_timelines(
    a: Timeline,
    b: Timeline,
    *,
    min_confidence: float = 0.0,
    tolerance_ms: int | None = None,
) -> AgreementReport:
    """`tolerance_ms` defaults to the coarser of the two sampling intervals."""
    tolerance = (
        max(a.sample_interval_ms, b.sample_interval_ms) if tolerance_ms is None else tolerance_ms
    )
    lo = max(a.analysed_from_ms, b.analysed_from_ms)
    hi = max(lo, min(_until(a), _until(b)))
    canon_a, canon_b = _canon(a, b), _canon(b, a)
    pres_a = {k: _clip(v, lo, hi) for k, v in _presence(a, min_confidence, canon_a).items()}
    pres_b = {k: _clip(v, lo, hi) for k, v in _presence(b, min_confidence, canon_b).items()}
    report = AgreementReport(a.engine, b.engine, lo, hi, min_confidence, tolerance)
    display = {v: k for k, v in canon_b.items()} | {v: k for k, v in canon_a.items()}
    for key in sorted(set(pres_a) | set(pres_b)):
        sa, sb = pres_a.get(key, []), pres_b.get(key, [])
        if not sa and not sb:
            continue  # seen only outside the compared stretch
        da, db = _dilate(sa, tolerance), _dilate(sb, tolerance)
        report.labels[display[key]] = LabelAgreement(
            label=display[key],
            names_a=tuple(sorted(n for n, k in canon_a.items() if k == key)),
            names_b=tuple(sorted(n for n, k in canon_b.items() if k == key)),
            present_a=tuple(sa),
            present_b=tuple(sb),
            agreed=tuple(_merge(_intersect(sa, db) + _intersect(sb, da))),
            only_a=tuple(_subtract(sa, db)),
            only_b=tuple(_subtract(sb, da)),
        )
    return report
