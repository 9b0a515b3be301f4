"""`streambet analyze PATH`: JSON on stdout, a progress bar on stderr when it is a terminal.

The app's command line (streambet/cli.py) parses the arguments and says where the model
cache is; this module reads no settings of its own.
"""

from __future__ import annotations

import json
import sys
import uuid
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from streambet.timeline import Timeline
from streambet.vision.backends import AnalysisOptions
from streambet.vision.errors import VideoError


def _progress_bar(fraction: float) -> None:
    width = 30
    filled = round(fraction * width)
    sys.stderr.write(f"\ranalysing [{'#' * filled}{'.' * (width - filled)}] {fraction:4.0%}")
    sys.stderr.flush()


def run_analyze(
    path: Path,
    *,
    model_dir: Path,
    output: str = "seed",
    aggregate_by: str = "timestamps",
    fps: float | None = None,
    min_confidence: float | None = None,
    betting_suggestion: Callable[[Timeline], Mapping[str, Any]],
) -> int:
    """Analyses `path` with the local engine and prints it in the `output` shape (seed,
    rekognition or segments); returns the exit code. `betting_suggestion` gives the seed
    format's suggestion (the app's CLI passes the server's, streambet.domain.suggestions:
    vision does not decide what to bet on)."""
    from streambet.vision.backends.local.engine import LocalEngine
    from streambet.vision.outputs import to_rekognition, to_seed, to_segments

    if fps is not None and not 0 < fps <= 30:
        print("error: --fps must be greater than 0 and at most 30", file=sys.stderr)
        return 2
    if min_confidence is not None and not 0 <= min_confidence <= 100:
        print("error: --min-confidence must be between 0 and 100", file=sys.stderr)
        return 2
    options = AnalysisOptions(
        sample_fps=fps if fps is not None else AnalysisOptions.sample_fps,
        min_confidence=(
            min_confidence if min_confidence is not None else AnalysisOptions.min_confidence
        ),
    )
    tty = sys.stderr.isatty()
    engine = LocalEngine(model_dir=model_dir)
    try:
        timeline = engine.analyze(Path(path), options, _progress_bar if tty else None)
    except VideoError as exc:
        if tty:
            sys.stderr.write("\n")
        print(f"error ({exc.code}): {exc.message}", file=sys.stderr)
        return 1
    if tty:
        sys.stderr.write("\n")
    if output == "rekognition":
        body = to_rekognition(timeline, aggregate_by=aggregate_by.upper())
    elif output == "segments":
        body = to_segments(timeline)
    else:
        body = to_seed(
            timeline, job_id=str(uuid.uuid4()), betting_suggestion=betting_suggestion(timeline)
        )
    json.dump(body, sys.stdout, indent=2)
    sys.stdout.write("\n")
    return 0
