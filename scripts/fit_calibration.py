"""Fits the engine's confidence calibration on the labelled evaluation set.

    .venv/bin/python bench/accuracy.py --raw --timelines var/eval/raw --json var/eval/raw.json
    .venv/bin/python scripts/fit_calibration.py var/eval/raw.json

Reads the claims of an uncalibrated run (every label sample with its source, smoothed raw
score and verdict against bench/eval/truth.json) and writes
src/streambet/vision/pipeline/data/calibration.json (see pipeline/calibration.py):

- per source and label family, a curve raw -> calibrated through (t50, 50) and (t80, 80):
  t80 is the lowest raw score from which, scanning down from the top, every tail of at
  least MIN_SUPPORT claims was >= 95% right (no such score: the family stays below 80),
  and never below the source's T80_FLOOR (a softmax probability under 0.5 is the
  classifier saying "probably not") nor at or below a claim of something the truth lists
  as absent (no absent thing may reach 80 on the set); t50 the same at 60%. Families with fewer than
  MIN_FAMILY judged claims use the source's pooled curve, sources with fewer none (raw
  scores). Claims the truth neither supports nor contradicts are left out;
- the generic parents (GENERIC) the classifier may not report confidently;
- the settleable vocabulary: labels with at least MIN_SETTLE right claims at calibrated 80+
  on the set, at least 95% of them right (markets on any other label always go to review).

It also prints, for each family kept below 50, its most precise tail (whether the cap is
what the set measured or only the every-tail rule), and the recall at 50 that no
calibration of the run can exceed: present windows the run never claimed stay missed
whatever the curves.

Fitted and measured on the same dozen clips: the figures bench/accuracy.py prints after a
fit are what the set says, not a promise for other footage.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "src" / "streambet" / "vision" / "pipeline" / "data" / "calibration.json"

TARGET_80, TARGET_50 = 0.95, 0.60
MIN_SUPPORT = 8  # claims in a tail before its precision counts
MIN_FAMILY = 15  # judged claims for a family to get a curve of its own
MIN_SETTLE = 5  # right claims at 80+ for a label to be settleable
BELOW_50, BELOW_80 = 49.0, 79.0
# Roots that gather unrelated things: the classifier's sum over them is no evidence.
GENERIC = ("Household Item", "Sports Equipment", "Tool", "Container", "Electronics", "Outdoors")
ABOVE = 1.0  # t80 lies this far above the best-scored claim of a thing listed absent
T80_FLOOR = {"classifier:frame": 50.0, "classifier:regions": 50.0}
# Sources calibrated here; pose, the sound track and text:names (a product of calibrated
# confidences, pipeline/text_names.py) are left as they are.
SOURCES = ("classifier:frame", "classifier:regions", "objects", "faces", "hands", "text")


def threshold(points: Sequence[tuple[float, bool]], target: float) -> float | None:
    """The lowest score s such that every tail (claims >= s', s' >= s) holding at least
    MIN_SUPPORT claims is at least `target` right; None when no tail is."""
    ordered = sorted(points, key=lambda p: -p[0])
    best: float | None = None
    right = total = 0
    i = 0
    while i < len(ordered):
        score = ordered[i][0]
        while i < len(ordered) and ordered[i][0] == score:  # ties enter together
            right += ordered[i][1]
            total += 1
            i += 1
        if total < MIN_SUPPORT:
            continue
        if right / total < target:
            break
        best = score
    return best


def best_tail(points: Sequence[tuple[float, bool]]) -> tuple[float, float, int] | None:
    """The most precise tail (claims >= s) holding at least MIN_SUPPORT claims, as
    (precision, s, claims). For a family left below 50 it tells a measured cap (no tail is
    TARGET_50 right) from an artefact of `threshold`'s every-tail rule (a lower tail is)."""
    ordered = sorted(points, key=lambda p: -p[0])
    best: tuple[float, float, int] | None = None
    right = 0
    for i, (score, ok) in enumerate(ordered, 1):
        right += ok
        tied = i < len(ordered) and ordered[i][0] == score  # ties enter together
        if i >= MIN_SUPPORT and not tied and (best is None or right / i > best[0]):
            best = (right / i, score, i)
    return best


def ceiling(windows: Sequence[dict[str, Any]]) -> tuple[int, list[str]]:
    """Present windows the uncalibrated run claims at all, and the others: a monotone
    curve cannot lift a label the engine never reported, so found / all bounds the recall
    at 50 that any calibration of this run can reach."""
    missed = [f"{w['clip']}: {w['label']}" for w in windows if not w["best"]]
    return len(windows) - len(missed), missed


def curve(
    points: Sequence[tuple[float, bool]], absent: Sequence[float] = (), t80_floor: float = 0.0
) -> list[list[float]]:
    t80 = threshold(points, TARGET_80)
    if t80 is not None:
        t80 = max(t80, t80_floor, *(a + ABOVE for a in absent))
        if t80 > 100:
            t80 = None
    t50 = threshold(points, TARGET_50)
    if t50 is None:
        pts = [(0.0, 0.0), (100.0, BELOW_50)]
    elif t80 is None:
        pts = [(0.0, 0.0), (t50, 50.0), (100.0, max(50.0, BELOW_80))]
    else:
        pts = [(0.0, 0.0), (min(t50, t80), 50.0), (t80, 80.0), (100.0, 100.0)]
    out: list[list[float]] = []
    for x, y in pts:  # equal raw scores: keep the higher calibrated one
        if out and out[-1][0] == round(x, 2):
            out[-1][1] = max(out[-1][1], y)
        else:
            out.append([round(x, 2), y])
    return out


def fit(
    claims: Sequence[dict[str, Any]],
) -> tuple[dict[str, Any], dict[str, tuple[float, float, int] | None]]:
    """The calibration document, and for each family kept below 50 its best tail."""
    sys.path.insert(0, str(ROOT / "src"))
    from streambet.vision.pipeline.calibration import (
        ANY_FAMILY,
        CLASS_SUFFIX,
        Calibration,
        family,
    )
    from streambet.vision.pipeline.taxonomy import get_taxonomy

    tax = get_taxonomy()
    classes = frozenset(tax.class_names())
    groups: dict[str, dict[str, list[tuple[float, bool]]]] = defaultdict(lambda: defaultdict(list))
    absent: dict[str, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    for c in claims:
        if c["source"] not in SOURCES or c["verdict"] == "unknown":
            continue
        fam = family(c["label"], c["source"], tax, classes)
        point = (float(c["confidence"]), c["verdict"] == "correct")
        pooled = ANY_FAMILY + CLASS_SUFFIX if fam.endswith(CLASS_SUFFIX) else ANY_FAMILY
        for key in (fam, pooled):
            groups[c["source"]][key].append(point)
            if "absent" in c["reason"]:
                absent[c["source"]][key].append(point[0])
    curves: dict[str, dict[str, list[list[float]]]] = {}
    below_50: dict[str, tuple[float, float, int] | None] = {}
    for source, by_family in sorted(groups.items()):
        curves[source] = {
            fam: curve(points, absent[source][fam], T80_FLOOR.get(source, 0.0))
            for fam, points in sorted(by_family.items())
            if len(points) >= MIN_FAMILY
        }
        below_50.update(
            (f"{source} {fam}", best_tail(by_family[fam]))
            for fam, pts in curves[source].items()
            if pts[-1][1] < 50
        )
    doc: dict[str, Any] = {
        "$comment": "Generated by scripts/fit_calibration.py from an uncalibrated run of"
        " bench/accuracy.py; see streambet/vision/pipeline/calibration.py.",
        "generic": list(GENERIC),
        "curves": curves,
        "settleable": [],
    }
    calibration = Calibration(doc, tax)
    doc["settleable"] = settleable(claims, calibration, tax, classes)
    return doc, below_50


def settleable(
    claims: Sequence[dict[str, Any]], calibration: Any, tax: Any, classes: frozenset[str]
) -> list[str]:
    """Labels whose calibrated 80+ claims on the set were all right, MIN_SETTLE or more.
    The sound track's labels count on their own scores (they are not recalibrated)."""
    from streambet.vision.pipeline.calibration import GENERIC_CAP, family

    right: dict[str, int] = defaultdict(int)
    wrong: dict[str, int] = defaultdict(int)
    for c in claims:
        if c["verdict"] == "unknown":
            continue
        source = c["source"]
        score = float(c["confidence"])
        if source in SOURCES:
            score = calibration.curve(source, family(c["label"], source, tax, classes))(score)
            if source.startswith("classifier") and c["label"] in calibration.generic:
                score = min(score, GENERIC_CAP)
        if score < 80:
            continue
        if c["verdict"] == "correct":
            right[c["label"]] += 1
        else:
            wrong[c["label"]] += 1
    return sorted(
        label
        for label, n in right.items()
        if n >= MIN_SETTLE and n / (n + wrong[label]) >= TARGET_80
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("report", type=Path, help="bench/accuracy.py --raw --json output")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args(argv)
    report = json.loads(args.report.read_text())
    doc, below_50 = fit(report["claims"])
    args.out.write_text(json.dumps(doc, indent=1) + "\n")
    for source, fams in doc["curves"].items():
        for fam, pts in fams.items():
            print(f"{source:<20}{fam:<32}{pts}")
    print(f"settleable ({len(doc['settleable'])}): {', '.join(doc['settleable'])}")
    print(f"kept below 50 (best tail of {MIN_SUPPORT}+ claims; {TARGET_50:.0%} needed for 50):")
    for key, tail in below_50.items():
        said = "too few claims" if tail is None else f"{tail[0]:.0%} from {tail[1]} ({tail[2]})"
        print(f"  {key:<44}{said}")
    claimed, missed = ceiling(report["windows"])
    total = claimed + len(missed)
    print(
        f"recall at 50 no calibration of this run can exceed: {claimed}/{total}"
        f" ({claimed / max(1, total):.0%}); never claimed: {'; '.join(missed) or 'none'}"
    )
    print(f"written: {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
