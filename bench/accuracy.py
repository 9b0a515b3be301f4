"""Accuracy of the local engine on the labelled evaluation set, and its speed on the run.

    .venv/bin/python scripts/fetch_eval_footage.py        # once: footage into var/eval/
    .venv/bin/python bench/accuracy.py [--json var/eval/report.json] [--only CLIP ...]
                                       [--reuse] [--raw] [--timelines DIR] [--model-dir DIR]

Runs `LocalEngine.analyze` (default options, 2 samples a second) on every clip of
bench/eval/truth.json and scores what it claims (bench/eval/scoring.py says how): per
detector source and overall, recall at 50 and 80, precision at 80, false claims of things
the truth lists as absent, cut recall, on-screen text read, spoken words heard, and the
engine's speed (x real time) on this same run. Every claim goes to the JSON report with its
verdict, for fitting calibration. Timelines are kept in var/eval/timelines/; `--reuse`
scores those again without running the engine (to check a truth edit). Prints figures,
never passes or fails.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import resource
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.eval.scoring import (  # noqa: E402
    CORRECT,
    INCORRECT,
    TEXT_MATCH,
    UNKNOWN,
    Box,
    Claim,
    ClipTruth,
    Found,
    Lineage,
    detector_source,
    find,
    heard_words,
    judge,
    match_cuts,
    parse_truth,
    ratio,
    read_text,
)

TRUTH = ROOT / "bench" / "eval" / "truth.json"
SOUNDS = "Sounds"
SETTLE_BAR = 80.0
TAXONOMY_MODULE = "streambet.vision.pipeline.taxonomy"


def engine_classes() -> tuple[Any, Any]:
    """(LocalEngine, AnalysisOptions)."""
    from streambet.vision.backends import AnalysisOptions
    from streambet.vision.backends.local.engine import LocalEngine

    return LocalEngine, AnalysisOptions


def lineage(timelines: Sequence[dict[str, Any]]) -> Lineage:
    """Ancestors and categories of every taxonomy label (and whatever the timelines
    carry, for labels the engine's taxonomy names that the import cannot reach)."""
    parents: dict[str, tuple[str, ...]] = {}
    categories: dict[str, tuple[str, ...]] = {}
    tax = importlib.import_module(TAXONOMY_MODULE).get_taxonomy()
    for info in tax.all_labels():
        parents[info.name] = tuple(info.parents)
        categories[info.name] = tuple(info.categories)
    for tl in timelines:
        for name, info in tl.get("labels", {}).items():
            parents.setdefault(name, tuple(info.get("parents", ())))
            categories.setdefault(name, tuple(info.get("categories", ())))
    return Lineage(parents, categories)


def in_vocabulary(label: str, lin: Lineage) -> bool:
    return label in lin.parents


# --- running ---------------------------------------------------------------------------


def run_engine(
    clips: Sequence[ClipTruth],
    clip_dir: Path,
    store: Path,
    model_dir: Path,
    min_conf: float,
    raw: bool = False,
) -> dict[str, Any]:
    engine_cls, options_cls = engine_classes()
    started = time.perf_counter()
    if raw:
        from streambet.vision.pipeline.calibration import Calibration

        engine = engine_cls(model_dir=model_dir, calibration=Calibration.identity())
    else:
        engine = engine_cls(model_dir=model_dir)
    engine.warm_up()
    load_s = time.perf_counter() - started
    detectors = list(getattr(engine, "detector_names", ()))
    print(f"engine: {engine_cls.__module__}.{engine_cls.__name__} detectors={detectors}")
    print(f"model load {load_s:.1f} s; load average {os.getloadavg()[0]:.2f}")
    store.mkdir(parents=True, exist_ok=True)
    saved = store / "run.json"
    earlier = json.loads(saved.read_text()).get("clips", {}) if saved.exists() else {}
    run: dict[str, Any] = {"load_s": load_s, "detectors": detectors, "clips": earlier}
    for clip in clips:
        path = clip_dir / clip.file
        t0, c0 = time.perf_counter(), time.process_time()
        timeline = engine.analyze(path, options_cls(min_confidence=min_conf))
        wall, cpu = time.perf_counter() - t0, time.process_time() - c0
        doc = timeline.to_dict()
        (store / f"{clip.id}.json").write_text(json.dumps(doc))
        run["clips"][clip.id] = {"wall_s": wall, "cpu_s": cpu}
        print(f"  {clip.id}: {wall:.1f} s ({clip.duration_ms / 1000 / wall:.1f}x real time)")
    run["load_average_end"] = os.getloadavg()[0]
    run["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    saved.write_text(json.dumps(run))
    return run


# --- reading a timeline ----------------------------------------------------------------


def claims_of(clip: str, tl: dict[str, Any]) -> list[Claim]:
    out = []
    for s in tl.get("samples", ()):
        instances = [
            (
                Box(*(float(i["box"][k]) for k in ("left", "top", "width", "height"))),
                float(i["confidence"]),
            )
            for i in s.get("instances", ())
        ]
        raw = max((c for _, c in instances), default=float(s["confidence"]))
        out.append(
            Claim(
                clip=clip,
                label=str(s["name"]),
                source=detector_source(str(s.get("source", "")), instances),
                confidence=float(s["confidence"]),
                time_ms=int(s["timestamp_ms"]),
                top_confidence=float(s.get("top_confidence", s["confidence"])),
                raw_confidence=raw,
                boxes=tuple(b for b, _ in instances),
            )
        )
    return out


def cuts_of(tl: dict[str, Any]) -> list[int]:
    """Engine cut times: the start of every shot but the first (a shot starting in the
    first 300 ms is the picture appearing, not a cut)."""
    return sorted(
        int(s["start_ms"])
        for s in tl.get("shots", ())
        if s.get("kind") == "SHOT" and int(s["start_ms"]) > 300
    )


# --- scoring and printing --------------------------------------------------------------


def pct(x: float | None) -> str:
    return "   -" if x is None else f"{100 * x:4.0f}%"


def score(
    clips: Sequence[ClipTruth], timelines: dict[str, dict[str, Any]], run: dict[str, Any]
) -> dict[str, Any]:
    lin = lineage(list(timelines.values()))
    judged: list[tuple[Claim, str, str]] = []
    found: list[Found] = []
    text_rows, speech_rows, clip_rows = [], [], []
    cut_hit = cut_total = cut_false = 0
    for clip in clips:
        tl = timelines[clip.id]
        claims = claims_of(clip.id, tl)
        interval = int(tl.get("sample_interval_ms", 500))
        verdicts = [(c, *judge(c, clip, lin)) for c in claims]
        judged += verdicts
        clip_found = find(clip, claims, lin, interval)
        found += clip_found
        hit, false = match_cuts(clip.cuts_ms, cuts_of(tl))
        cut_hit, cut_total, cut_false = (
            cut_hit + hit,
            cut_total + len(clip.cuts_ms),
            cut_false + false,
        )
        readings = [(int(t["timestamp_ms"]), str(t["text"])) for t in tl.get("texts", ())]
        clip_text = []
        for wanted in clip.text:
            sim, reading = read_text(wanted, readings)
            clip_text.append(sim >= TEXT_MATCH)
            text_rows.append(
                {
                    "clip": clip.id,
                    "text": wanted.text,
                    "start_ms": wanted.start_ms,
                    "end_ms": wanted.end_ms,
                    "similarity": round(sim, 3),
                    "reading": reading,
                    "read": sim >= TEXT_MATCH,
                }
            )
        words = [
            (int(w["start_ms"]), int(w["end_ms"]), str(w["word"])) for w in tl.get("words", ())
        ]
        for said in clip.speech:
            got, total = heard_words(said, words)
            speech_rows.append({"clip": clip.id, "text": said.text, "heard": got, "words": total})
        at80 = [(c, v) for c, v, _ in verdicts if c.confidence >= SETTLE_BAR]
        wall = run.get("clips", {}).get(clip.id, {}).get("wall_s")
        clip_rows.append(
            {
                "clip": clip.id,
                "seconds": clip.duration_ms / 1000,
                "wall_s": wall,
                "x_real_time": clip.duration_ms / 1000 / wall if wall else None,
                "recall50": ratio(sum(f.found(50) for f in clip_found), len(clip_found)),
                "recall80": ratio(sum(f.found(80) for f in clip_found), len(clip_found)),
                "precision80": ratio(
                    sum(v == CORRECT for _, v in at80), sum(v != UNKNOWN for _, v in at80)
                ),
                "unknown80": sum(v == UNKNOWN for _, v in at80),
                "false80": sorted({c.label for c, v in at80 if v == INCORRECT}),
                "cuts": f"{hit}/{len(clip.cuts_ms)}" + (f" +{false}" if false else ""),
                "text": f"{sum(clip_text)}/{len(clip_text)}" if clip_text else "",
            }
        )
    return {
        "lineage": lin,
        "judged": judged,
        "found": found,
        "text": text_rows,
        "speech": speech_rows,
        "clips": clip_rows,
        "cuts": {"matched": cut_hit, "total": cut_total, "false": cut_false},
    }


def is_sound(label: str, lin: Lineage) -> bool:
    return SOUNDS in lin.category_of(label)


def source_table(result: dict[str, Any]) -> list[dict[str, Any]]:
    lin: Lineage = result["lineage"]
    judged: list[tuple[Claim, str, str]] = result["judged"]
    found: list[Found] = result["found"]
    sources = sorted({c.source for c, _, _ in judged})
    rows = []
    for source in [*sources, None]:
        mine = [(c, v, r) for c, v, r in judged if source is None or c.source == source]
        sound = source == "audio"
        windows = [f for f in found if source is None or is_sound(f.window.label, lin) == sound]
        at80 = [(c, v, r) for c, v, r in mine if c.confidence >= SETTLE_BAR]
        absent50 = [
            c for c, v, r in mine if v == INCORRECT and "absent" in r and c.confidence >= 50
        ]
        absent80 = [c for c in absent50 if c.confidence >= SETTLE_BAR]
        rows.append(
            {
                "source": source or "overall",
                "claims": len(mine),
                "recall50": ratio(sum(f.found(50, source) for f in windows), len(windows)),
                "recall80": ratio(sum(f.found(80, source) for f in windows), len(windows)),
                "windows": len(windows),
                "claims80": len(at80),
                "correct80": sum(v == CORRECT for _, v, _ in at80),
                "incorrect80": sum(v == INCORRECT for _, v, _ in at80),
                "unknown80": sum(v == UNKNOWN for _, v, _ in at80),
                "precision80": ratio(
                    sum(v == CORRECT for _, v, _ in at80), sum(v != UNKNOWN for _, v, _ in at80)
                ),
                "absent50": sorted({c.label for c in absent50}),
                "absent80": sorted({c.label for c in absent80}),
            }
        )
    return rows


def print_report(result: dict[str, Any], run: dict[str, Any], reused: bool) -> dict[str, Any]:
    lin: Lineage = result["lineage"]
    rows = source_table(result)
    print("\nper detector source (recall: share of the truth's windows this source finds;")
    print("precision at 80: correct / (correct + incorrect); unknown claims are not counted)")
    print(
        f"{'source':<20}{'claims':>7}{'rec@50':>8}{'rec@80':>8}{'n@80':>6}{'ok':>6}{'wrong':>6}"
        f"{'unk':>6}{'prec@80':>9}  absent claimed 80+ (50+)"
    )
    for r in rows:
        print(
            f"{r['source']:<20}{r['claims']:>7}{pct(r['recall50']):>8}{pct(r['recall80']):>8}"
            f"{r['claims80']:>6}{r['correct80']:>6}{r['incorrect80']:>6}{r['unknown80']:>6}"
            f"{pct(r['precision80']):>9}  {len(r['absent80'])} ({len(r['absent50'])})"
        )
    overall = rows[-1]
    judged: list[tuple[Claim, str, str]] = result["judged"]
    by_label: dict[str, Counter[str]] = defaultdict(Counter)
    for c, v, r in judged:
        if v == INCORRECT and c.confidence >= 50:
            key = "80+" if c.confidence >= SETTLE_BAR else "50-79"
            by_label[f"{c.label} [{r}]"][f"{c.clip} {key}"] += 1
    print("\nfalse claims (label [why], clip and band: samples)")
    for label in sorted(by_label, key=lambda k: (-sum("80+" in x for x in by_label[k]), k)):
        clips = ", ".join(f"{k}: {n}" for k, n in sorted(by_label[label].items()))
        print(f"  {label}: {clips}")
    unknown80 = Counter(
        c.label for c, v, _ in judged if v == UNKNOWN and c.confidence >= SETTLE_BAR
    )
    if unknown80:
        print(
            "\nunknown at 80+ (neither supported nor listed absent): "
            + ", ".join(f"{k} {n}" for k, n in unknown80.most_common())
        )
    found: list[Found] = result["found"]
    print("\nmissed at 50 (clip: label [start-end ms] best confidence)")
    for f in found:
        if not f.found(50):
            note = "" if in_vocabulary(f.window.label, lin) else " (not in the engine's vocabulary)"
            print(
                f"  {f.clip}: {f.window.label} [{f.window.start_ms}-{f.window.end_ms}] "
                f"{f.best:.0f}{note}"
            )
    coverage = [f.coverage for f in found if f.found(50)]
    boxed = [f for f in found if f.box_iou is not None]
    mean_coverage = sum(coverage) / len(coverage) if coverage else None
    print(f"\nwindows found at 50: mean share of their samples covered {pct(mean_coverage)}")
    if boxed:
        hits = sum((f.box_iou or 0) >= 0.3 for f in boxed)
        print(f"boxed windows with a claim box at IoU >= 0.3: {hits}/{len(boxed)}")
    cuts = result["cuts"]
    print(
        f"\ncuts: {cuts['matched']}/{cuts['total']} found "
        f"({pct(ratio(cuts['matched'], cuts['total']))}), {cuts['false']} false"
    )
    texts = result["text"]
    print(
        f"text read: {sum(t['read'] for t in texts)}/{len(texts)} "
        f"({pct(ratio(sum(t['read'] for t in texts), len(texts)))})"
    )
    for t in texts:
        print(
            f"  {'READ' if t['read'] else 'miss'} {t['clip']}: {t['text']!r} "
            f"best {t['similarity']:.2f} {t['reading']!r}"
        )
    speech = result["speech"]
    heard, said = sum(s["heard"] for s in speech), sum(s["words"] for s in speech)
    print(f"spoken words heard: {heard}/{said} ({pct(ratio(heard, said))})")

    print(
        f"\n{'clip':<22}{'s':>6}{'xRT':>7}{'rec@50':>8}{'rec@80':>8}{'prec@80':>9}{'unk80':>6}"
        f"{'cuts':>7}{'text':>6}  false at 80+"
    )
    for r in result["clips"]:
        xrt = f"{r['x_real_time']:.1f}" if r["x_real_time"] else "-"
        print(
            f"{r['clip']:<22}{r['seconds']:>6.1f}{xrt:>7}{pct(r['recall50']):>8}"
            f"{pct(r['recall80']):>8}{pct(r['precision80']):>9}{r['unknown80']:>6}"
            f"{r['cuts']:>7}{r['text']:>6}  {', '.join(r['false80'])}"
        )
    total_s = sum(r["seconds"] for r in result["clips"])
    walls = [r["wall_s"] for r in result["clips"] if r["wall_s"]]
    speed = total_s / sum(walls) if walls and len(walls) == len(result["clips"]) else None
    print(
        f"\nspeed: {total_s:.0f} s of video in {sum(walls):.1f} s"
        + (f" = {speed:.1f}x real time" if speed else "")
        + (" (from the saved run)" if reused else "")
        + f"; model load {run.get('load_s', 0):.1f} s; peak RSS {run.get('peak_rss_mb', 0):.0f} MB;"
        f" load average at the end {run.get('load_average_end', 0):.2f}"
    )
    summary = {
        "recall50": overall["recall50"],
        "recall80": overall["recall80"],
        "precision80": overall["precision80"],
        "absent_claimed80": overall["absent80"],
        "absent_claimed50": overall["absent50"],
        "cut_recall": ratio(cuts["matched"], cuts["total"]),
        "false_cuts": cuts["false"],
        "text_read": ratio(sum(t["read"] for t in texts), len(texts)),
        "words_heard": ratio(heard, said),
        "x_real_time": speed,
    }
    print(
        "\nheadline: "
        + ", ".join(
            f"{k} {pct(v) if isinstance(v, float) else v}"
            for k, v in summary.items()
            if k not in ("absent_claimed50", "x_real_time")
        )
        + (f", speed {speed:.1f}x" if speed else "")
    )
    return {"summary": summary, "sources": rows}


def report_json(
    result: dict[str, Any], printed: dict[str, Any], run: dict[str, Any]
) -> dict[str, Any]:
    return {
        "run": run,
        "summary": printed["summary"],
        "sources": printed["sources"],
        "clips": result["clips"],
        "cuts": result["cuts"],
        "text": result["text"],
        "speech": result["speech"],
        "windows": [
            {
                "clip": f.clip,
                "label": f.window.label,
                "start_ms": f.window.start_ms,
                "end_ms": f.window.end_ms,
                "best": f.best,
                "by_source": f.by_source,
                "coverage": round(f.coverage, 3),
                "box_iou": f.box_iou,
            }
            for f in result["found"]
        ],
        # one row per claim, for fitting calibration: the raw score is the winning
        # detector's own score in that sample, confidence the smoothed one settlement reads
        "claims": [
            {
                "clip": c.clip,
                "label": c.label,
                "source": c.source,
                "time_ms": c.time_ms,
                "confidence": c.confidence,
                "top_confidence": c.top_confidence,
                "raw_confidence": c.raw_confidence,
                "verdict": v,
                "reason": r,
            }
            for c, v, r in result["judged"]
        ],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--truth", type=Path, default=TRUTH)
    parser.add_argument("--clips", type=Path, default=ROOT / "var" / "eval" / "clips")
    parser.add_argument("--timelines", type=Path, default=ROOT / "var" / "eval" / "timelines")
    parser.add_argument("--model-dir", type=Path, default=ROOT / "var" / "models")
    parser.add_argument("--only", nargs="*", default=None, help="clip ids")
    parser.add_argument("--json", type=Path, default=None, help="write the full report here")
    parser.add_argument("--reuse", action="store_true", help="score the saved timelines")
    parser.add_argument(
        "--raw",
        action="store_true",
        help="the detectors' raw scores, no calibration (for scripts/fit_calibration.py)",
    )
    parser.add_argument(
        "--min-confidence",
        type=float,
        default=20.0,
        help="the engine's MinConfidence for the run (low, so calibration sees low scores)",
    )
    args = parser.parse_args(argv)
    clips = [
        c
        for c in parse_truth(json.loads(args.truth.read_text()))
        if not args.only or c.id in args.only
    ]
    missing = [c.file for c in clips if not (args.clips / c.file).exists()]
    if missing and not args.reuse:
        raise SystemExit(f"missing footage {missing}: run scripts/fetch_eval_footage.py first")
    if args.reuse:
        run_path = args.timelines / "run.json"
        run = json.loads(run_path.read_text()) if run_path.exists() else {}
    else:
        run = run_engine(
            clips, args.clips, args.timelines, args.model_dir, args.min_confidence, args.raw
        )
    timelines = {c.id: json.loads((args.timelines / f"{c.id}.json").read_text()) for c in clips}
    result = score(clips, timelines, run)
    lin: Lineage = result["lineage"]
    unknown = sorted(
        {
            w.label
            for c in clips
            for w in c.present + c.acceptable
            if not in_vocabulary(w.label, lin)
        }
        | {a for c in clips for a in c.absent if not in_vocabulary(a, lin)}
    )
    if unknown:
        print(f"truth labels the engine's taxonomy does not have: {', '.join(unknown)}")
    printed = print_report(result, run, args.reuse)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(report_json(result, printed, run), indent=1))
        print(f"report: {args.json}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
