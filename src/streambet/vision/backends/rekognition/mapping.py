"""GetLabelDetection pages -> the engine's Timeline.

TIMESTAMPS: one LabelSample per (Timestamp, Label) with its instances (boxes are already
ratios of the frame, as in the timeline). A label with an empty Instances list is still a
sample, with no instances, so counting code sees zero boxes rather than breaking.

SEGMENTS: Rekognition gives a run [StartTimestampMillis, EndTimestampMillis] with the
highest confidence inside it and no boxes. The timeline is sample-based, so a segment
becomes samples every `sample_interval_ms` from its start to its end (both included):
"present throughout" stays true for any window a market asks about. The pages themselves
stay available as-is for anyone who needs the exact segments.
"""

from __future__ import annotations

import itertools
import statistics
from collections.abc import Iterable
from typing import Any

from streambet.timeline import (
    BoundingBox,
    Instance,
    LabelInfo,
    LabelSample,
    Timeline,
    VideoMetadata,
)

ENGINE = "rekognition"
Page = dict[str, Any]


def _names(items: Iterable[dict[str, Any]] | None) -> tuple[str, ...]:
    return tuple(str(i["Name"]) for i in items or () if i.get("Name"))


def _merge(old: tuple[str, ...], new: tuple[str, ...]) -> tuple[str, ...]:
    return old + tuple(n for n in new if n not in old)


def _instances(label: dict[str, Any]) -> tuple[Instance, ...]:
    out = []
    for inst in label.get("Instances") or ():
        box = inst.get("BoundingBox")
        if not box:
            continue
        out.append(
            Instance(
                BoundingBox(
                    float(box.get("Left", 0.0)),
                    float(box.get("Top", 0.0)),
                    float(box.get("Width", 0.0)),
                    float(box.get("Height", 0.0)),
                ),
                float(inst.get("Confidence", label.get("Confidence", 0.0))),
            )
        )
    return tuple(out)


def _video(meta: dict[str, Any] | None, fallback: VideoMetadata | None) -> VideoMetadata:
    meta = meta or {}
    fb = fallback or VideoMetadata("", 0, "", 0.0, 0, 0)
    return VideoMetadata(
        codec=str(meta.get("Codec", fb.codec)),
        duration_ms=int(meta.get("DurationMillis", fb.duration_ms)),
        format=str(meta.get("Format", fb.format)),
        frame_rate=float(meta.get("FrameRate", fb.frame_rate)),
        frame_width=int(meta.get("FrameWidth", fb.frame_width)),
        frame_height=int(meta.get("FrameHeight", fb.frame_height)),
        color_range=str(meta.get("ColorRange", fb.color_range)),
    )


def _observed_interval(timestamps: set[int]) -> int | None:
    """Rekognition does not publish its sampling rate; the median gap between distinct
    timestamps is what it actually used."""
    ordered = sorted(timestamps)
    gaps = [b - a for a, b in itertools.pairwise(ordered) if b > a]
    return int(statistics.median(gaps)) if gaps else None


def timeline_from_pages(
    pages: list[Page],
    *,
    aggregate_by: str = "TIMESTAMPS",
    min_confidence: float = 0.0,
    sample_interval_ms: int = 500,
    fallback_video: VideoMetadata | None = None,
) -> Timeline:
    """`sample_interval_ms` is used for SEGMENTS (and for TIMESTAMPS when there are too
    few timestamps to observe one). Labels under `min_confidence` are dropped here too,
    so the timeline honours the job's setting whatever the service did with it."""
    if aggregate_by not in ("TIMESTAMPS", "SEGMENTS"):
        raise ValueError(f"aggregate_by must be TIMESTAMPS or SEGMENTS, not {aggregate_by!r}")
    first = pages[0] if pages else {}
    video = _video(first.get("VideoMetadata"), fallback_video)
    samples: dict[tuple[int, str], LabelSample] = {}
    labels: dict[str, LabelInfo] = {}
    timestamps: set[int] = set()
    for page in pages:
        for detection in page.get("Labels") or ():
            label = detection.get("Label") or {}
            name = str(label.get("Name", ""))
            confidence = float(label.get("Confidence", 0.0))
            if not name or confidence < min_confidence:
                continue
            info = labels.get(name, LabelInfo(name))
            labels[name] = LabelInfo(
                name,
                _merge(info.parents, _names(label.get("Parents"))),
                _merge(info.aliases, _names(label.get("Aliases"))),
                _merge(info.categories, _names(label.get("Categories"))),
            )
            if aggregate_by == "SEGMENTS":
                start = int(detection.get("StartTimestampMillis", detection.get("Timestamp", 0)))
                end = int(detection.get("EndTimestampMillis", start))
                times = [*range(start, end, max(1, sample_interval_ms)), end]
                instances: tuple[Instance, ...] = ()
            else:
                times = [int(detection.get("Timestamp", 0))]
                instances = _instances(label)
            for t in times:
                timestamps.add(t)
                key = (t, name)
                prev = samples.get(key)
                if prev is not None:  # the same label twice at one time: keep the best
                    confidence_t = max(prev.confidence, confidence)
                    instances_t = prev.instances + instances
                else:
                    confidence_t, instances_t = confidence, instances
                samples[key] = LabelSample(
                    timestamp_ms=t,
                    name=name,
                    confidence=confidence_t,
                    top_confidence=confidence_t,
                    instances=instances_t,
                    source=ENGINE,
                )
    interval = sample_interval_ms
    if aggregate_by == "TIMESTAMPS":
        interval = _observed_interval(timestamps) or sample_interval_ms
    ordered = sorted(samples.values(), key=lambda s: (s.timestamp_ms, s.name))
    until = video.duration_ms or (ordered[-1].timestamp_ms if ordered else 0)
    return Timeline(
        video=video,
        model_version=str(first.get("LabelModelVersion", "")),
        sample_interval_ms=interval,
        analysed_from_ms=0,
        analysed_until_ms=until,
        samples=ordered,
        labels=labels,
        engine=ENGINE,
    )
