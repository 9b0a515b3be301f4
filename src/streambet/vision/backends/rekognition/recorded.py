"""Recorded GetLabelDetection responses -> Timeline, for tests and demos that settle
markets on Rekognition-shaped evidence without an AWS account.

A recording is a JSON file holding one response page (a dict) or several (a list), in
the documented GetLabelDetection shape. The aggregation is read from the page's
`GetRequestMetadata.AggregateBy` when present.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from streambet.timeline import Timeline
from streambet.vision.backends.rekognition.mapping import timeline_from_pages


def load_recorded_pages(path: Path) -> list[dict[str, Any]]:
    data = json.loads(Path(path).read_text())
    pages = data if isinstance(data, list) else [data]
    if not pages or not all(isinstance(p, dict) and "JobStatus" in p for p in pages):
        raise ValueError(f"{path}: not a GetLabelDetection response (no JobStatus)")
    if pages[0]["JobStatus"] != "SUCCEEDED":
        raise ValueError(f"{path}: the recorded job is {pages[0]['JobStatus']}, not SUCCEEDED")
    return pages


def load_recorded_timeline(
    path: Path, *, min_confidence: float = 0.0, sample_interval_ms: int = 500
) -> Timeline:
    pages = load_recorded_pages(path)
    aggregation = pages[0].get("GetRequestMetadata", {}).get("AggregateBy", "TIMESTAMPS")
    return timeline_from_pages(
        pages,
        aggregate_by=aggregation,
        min_confidence=min_confidence,
        sample_interval_ms=sample_interval_ms,
    )
