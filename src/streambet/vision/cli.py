"""`streambet analyze PATH`: JSON on stdout, a progress bar on stderr when it is a terminal."""

from __future__ import annotations

import argparse
import json
import sys
import uuid
from pathlib import Path

from streambet.vision.backends import AnalysisOptions
from streambet.vision.errors import VideoError


def _progress_bar(fraction: float) -> None:
    width = 30
    filled = round(fraction * width)
    sys.stderr.write(f"\ranalysing [{'#' * filled}{'.' * (width - filled)}] {fraction:4.0%}")
    sys.stderr.flush()


def run_analyze(args: argparse.Namespace) -> int:
    from streambet.config import load_settings
    from streambet.vision.backends.local.engine import LocalEngine
    from streambet.vision.outputs import to_rekognition, to_seed, to_segments

    if args.fps is not None and not 0 < args.fps <= 30:
        print("error: --fps must be greater than 0 and at most 30", file=sys.stderr)
        return 2
    if args.min_confidence is not None and not 0 <= args.min_confidence <= 100:
        print("error: --min-confidence must be between 0 and 100", file=sys.stderr)
        return 2
    settings = load_settings()
    options = AnalysisOptions(
        sample_fps=args.fps if args.fps is not None else AnalysisOptions.sample_fps,
        min_confidence=(
            args.min_confidence
            if args.min_confidence is not None
            else AnalysisOptions.min_confidence
        ),
    )
    tty = sys.stderr.isatty()
    engine = LocalEngine(model_dir=settings.resolved_model_dir)
    try:
        timeline = engine.analyze(Path(args.path), options, _progress_bar if tty else None)
    except VideoError as exc:
        if tty:
            sys.stderr.write("\n")
        print(f"error ({exc.code}): {exc.message}", file=sys.stderr)
        return 1
    if tty:
        sys.stderr.write("\n")
    if args.format == "rekognition":
        body = to_rekognition(timeline, aggregate_by=args.aggregate_by.upper())
    elif args.format == "segments":
        body = to_segments(timeline)
    else:
        body = to_seed(timeline, job_id=str(uuid.uuid4()))
    json.dump(body, sys.stdout, indent=2)
    sys.stdout.write("\n")
    return 0
