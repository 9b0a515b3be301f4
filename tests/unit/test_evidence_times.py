"""Which sampled times become evidence frames: every labelled one, or an even spread."""

from __future__ import annotations

import itertools

from streambet.services.evidence import evidence_times
from streambet.timeline import LabelSample, Timeline, VideoMetadata


def _timeline(times: list[int]) -> Timeline:
    samples = [LabelSample(t, name, 90.0, 90.0) for t in times for name in ("Cat", "Dog")]
    video = VideoMetadata("h264", max(times, default=0) + 500, "mp4", 10.0, 640, 360)
    return Timeline(video=video, model_version="t", sample_interval_ms=500, samples=samples)


def test_every_labelled_time_once_in_order() -> None:
    assert evidence_times(_timeline([1500, 0, 500, 1500]), 600) == [0, 500, 1500]
    assert evidence_times(_timeline([]), 600) == []


def test_more_than_the_cap_are_spread_evenly_keeping_both_ends() -> None:
    times = list(range(0, 100_000, 100))  # 1000 labelled samples
    chosen = evidence_times(_timeline(times), 11)
    assert chosen[0] == 0 and chosen[-1] == 99_900 and len(set(chosen)) == 11
    gaps = {b - a for a, b in itertools.pairwise(chosen)}
    assert max(gaps) - min(gaps) <= 100  # one sample step of rounding
    assert evidence_times(_timeline(times), 1) == [0]
