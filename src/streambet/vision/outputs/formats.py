"""The three output shapes, all read from one Timeline.

- `to_rekognition`: GetLabelDetection's response (AggregateBy TIMESTAMPS or SEGMENTS).
  Instances carry only real locations: a classifier score for the whole frame has no
  instance (as in Rekognition, where scene labels have an empty Instances list).
  A SEGMENT is a run of samples of one label no further apart than 1.5 sample intervals;
  it ends one sample interval after its last sample (what that sample stands for), capped
  at the analysed end, and its Confidence is the run's maximum.
- `to_seed`: the original StreamBet /api/analyze shape.
- `to_segments`: shots, black frames and on-screen text, in GetSegmentDetection /
  GetTextDetection terms.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from typing import Any

from streambet.timeline import BoundingBox, LabelInfo, LabelSample, Timeline
from streambet.vision.pipeline.filters import LabelFilter

# Labels the original app listed as "activity" labels: what people do and sport itself.
ACTIVITY_CATEGORIES = ("Sports", "Person Description")


def _box(box: BoundingBox) -> dict[str, float]:
    return {"Width": box.width, "Height": box.height, "Left": box.left, "Top": box.top}


def _is_whole_frame(box: BoundingBox) -> bool:
    return box.width >= 0.999 and box.height >= 0.999


def video_metadata(timeline: Timeline) -> dict[str, Any]:
    v = timeline.video
    return {
        "Codec": v.codec,
        "DurationMillis": v.duration_ms,
        "Format": v.format,
        "FrameRate": v.frame_rate,
        "FrameHeight": v.frame_height,
        "FrameWidth": v.frame_width,
        "ColorRange": v.color_range,
    }


def _label_facts(info: LabelInfo) -> dict[str, Any]:
    return {
        "Parents": [{"Name": p} for p in info.parents],
        "Aliases": [{"Name": a} for a in info.aliases],
        "Categories": [{"Name": c} for c in info.categories],
    }


def _selected(timeline: Timeline, label_filter: LabelFilter | None) -> list[LabelSample]:
    if label_filter is None:
        return list(timeline.samples)
    return [s for s in timeline.samples if label_filter.allows(s.name, s.confidence)]


def label_segments(timeline: Timeline, samples: list[LabelSample]) -> list[dict[str, Any]]:
    """Runs of samples per label: {name, start_ms, end_ms, confidence, samples}."""
    by_label: dict[str, list[LabelSample]] = defaultdict(list)
    for s in samples:
        by_label[s.name].append(s)
    interval = max(1, timeline.sample_interval_ms)
    end_cap = timeline.analysed_until_ms or timeline.video.duration_ms
    segments: list[dict[str, Any]] = []
    for name, items in by_label.items():
        items.sort(key=lambda s: s.timestamp_ms)
        run = [items[0]]
        for s in items[1:]:
            if s.timestamp_ms - run[-1].timestamp_ms <= 1.5 * interval:
                run.append(s)
                continue
            segments.append(_segment(name, run, interval, end_cap))
            run = [s]
        segments.append(_segment(name, run, interval, end_cap))
    segments.sort(key=lambda seg: (seg["start_ms"], seg["name"]))
    return segments


def _segment(name: str, run: list[LabelSample], interval: int, end_cap: int) -> dict[str, Any]:
    start = run[0].timestamp_ms
    end = run[-1].timestamp_ms + interval
    if end_cap:
        end = max(start, min(end, end_cap))
    return {
        "name": name,
        "start_ms": start,
        "end_ms": end,
        "confidence": max(s.confidence for s in run),
        "samples": run,
    }


def to_rekognition(
    timeline: Timeline,
    aggregate_by: str = "TIMESTAMPS",
    *,
    label_filter: LabelFilter | None = None,
    min_confidence: float | None = None,
    sort_by: str = "TIMESTAMP",
    job_status: str = "SUCCEEDED",
    max_results: int | None = None,
    next_token: str | None = None,
) -> dict[str, Any]:
    """`min_confidence` is a shortcut for `label_filter=LabelFilter.build(min_confidence)`.
    `max_results` (1-1000) and `next_token` page the Labels as GetLabelDetection does; the
    token is opaque to callers (it is the offset of the next entry)."""
    if label_filter is None and min_confidence is not None:
        label_filter = LabelFilter.build(min_confidence)
    aggregate_by = aggregate_by.upper()
    if aggregate_by not in ("TIMESTAMPS", "SEGMENTS"):
        raise ValueError("aggregate_by must be TIMESTAMPS or SEGMENTS")
    samples = _selected(timeline, label_filter)
    labels: list[dict[str, Any]] = []
    if aggregate_by == "TIMESTAMPS":
        for s in samples:
            instances = [
                {"BoundingBox": _box(i.box), "Confidence": i.confidence}
                for i in s.instances
                if not _is_whole_frame(i.box)
            ]
            label = {"Name": s.name, "Confidence": s.confidence, "Instances": instances}
            label.update(_label_facts(timeline.info(s.name)))
            labels.append({"Timestamp": s.timestamp_ms, "Label": label})
    else:
        for seg in label_segments(timeline, samples):
            label = {"Name": seg["name"], "Confidence": seg["confidence"]}
            label.update(_label_facts(timeline.info(seg["name"])))
            labels.append(
                {
                    "Timestamp": seg["start_ms"],
                    "StartTimestampMillis": seg["start_ms"],
                    "EndTimestampMillis": seg["end_ms"],
                    "DurationMillis": seg["end_ms"] - seg["start_ms"],
                    "Label": label,
                }
            )
    if sort_by.upper() == "NAME":
        labels.sort(key=lambda e: (e["Label"]["Name"], e["Timestamp"]))
    else:
        labels.sort(key=lambda e: (e["Timestamp"], e["Label"]["Name"]))
    body: dict[str, Any] = {
        "JobStatus": job_status,
        "VideoMetadata": video_metadata(timeline),
        "LabelModelVersion": timeline.model_version,
        "AggregateBy": aggregate_by,
        "Labels": labels,
    }
    if max_results is not None or next_token is not None:
        limit = 1000 if max_results is None else max_results
        if not 1 <= limit <= 1000:
            raise ValueError("max_results must be between 1 and 1000")
        try:
            start = int(next_token) if next_token else 0
        except ValueError:
            raise ValueError("invalid next_token") from None
        if not 0 <= start <= len(labels):
            raise ValueError("invalid next_token")
        body["Labels"] = labels[start : start + limit]
        if start + limit < len(labels):
            body["NextToken"] = str(start + limit)
    return body


def _seconds(ms: int) -> float:
    return round(ms / 1000, 3)


def to_seed(
    timeline: Timeline,
    job_id: str,
    *,
    betting_suggestion: Mapping[str, Any],
    label_filter: LabelFilter | None = None,
) -> dict[str, Any]:
    """The original /api/analyze body: one entry per label (its best smoothed confidence,
    every sampled time it was seen, its first category), the activity labels among them,
    and the betting suggestion, which the caller computes (the server's suggestions live
    in streambet.domain.suggestions, one place for the API, the CLI and the web app)."""
    by_label: dict[str, list[LabelSample]] = defaultdict(list)
    for s in _selected(timeline, label_filter):
        by_label[s.name].append(s)
    entries: list[dict[str, Any]] = []
    for name, items in by_label.items():
        info = timeline.info(name)
        entries.append(
            {
                "label": name,
                "confidence": round(max(s.confidence for s in items), 2),
                "timestamps": [_seconds(s.timestamp_ms) for s in items],
                "category": info.categories[0] if info.categories else "Other",
            }
        )
    entries.sort(key=lambda e: (-e["confidence"], e["label"]))
    activity = [e for e in entries if e["category"] in ACTIVITY_CATEGORIES]
    return {
        "status": "success",
        "job_id": job_id,
        "total_labels": len(entries),
        "labels": entries,
        "activity_labels": activity,
        "betting_suggestion": dict(betting_suggestion),
        "video_metadata": {
            "duration_seconds": _seconds(timeline.video.duration_ms),
            "format": timeline.video.format,
        },
    }


def _smpte(ms: int, fps: float) -> str:
    rate = round(fps) if fps > 0 else 25
    total_frames = round(ms * rate / 1000)
    frames = total_frames % rate
    seconds = total_frames // rate
    return f"{seconds // 3600:02d}:{seconds // 60 % 60:02d}:{seconds % 60:02d}:{frames:02d}"


def to_segments(timeline: Timeline) -> dict[str, Any]:
    fps = timeline.video.frame_rate
    segments = []
    for shot in sorted(timeline.shots, key=lambda s: (s.start_ms, s.kind)):
        entry: dict[str, Any] = {
            "Type": "SHOT" if shot.kind == "SHOT" else "TECHNICAL_CUE",
            "StartTimestampMillis": shot.start_ms,
            "EndTimestampMillis": shot.end_ms,
            "DurationMillis": shot.end_ms - shot.start_ms,
            "StartTimecodeSMPTE": _smpte(shot.start_ms, fps),
            "EndTimecodeSMPTE": _smpte(shot.end_ms, fps),
        }
        if shot.kind == "SHOT":
            entry["ShotSegment"] = {"Index": shot.index, "Confidence": shot.confidence}
        else:
            entry["TechnicalCueSegment"] = {"Type": "BlackFrames", "Confidence": shot.confidence}
        segments.append(entry)
    texts = [
        {
            "Timestamp": t.timestamp_ms,
            "TextDetection": {
                "DetectedText": t.text,
                "Type": "LINE",
                "Id": i,
                "Confidence": t.confidence,
                "Geometry": {"BoundingBox": _box(t.box)} if t.box else {},
            },
        }
        for i, t in enumerate(timeline.texts)
    ]
    return {
        "VideoMetadata": video_metadata(timeline),
        "SelectedSegmentTypes": [{"Type": "SHOT"}, {"Type": "TECHNICAL_CUE"}],
        "Segments": segments,
        "TextDetections": texts,
        # Speech-to-text words (Transcribe-like: content, times, confidence 0-100), and how
        # far the transcript covers the sound track (0: speech-to-text did not run).
        "Transcript": {
            "CoveredUntilMillis": timeline.speech_until_ms,
            "Words": [
                {
                    "Content": w.word,
                    "StartTimestampMillis": w.start_ms,
                    "EndTimestampMillis": w.end_ms,
                    "Confidence": w.probability,
                }
                for w in timeline.words
            ],
        },
        "SkippedPackets": timeline.skipped_packets,
    }
