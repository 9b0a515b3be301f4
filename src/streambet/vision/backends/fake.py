"""A scripted engine for plumbing tests (queue, API, durability) ONLY.

It really opens and decodes the file and reports real progress and cancellation, but the
labels it returns come from a script in the options, never from looking at pixels:
  fake_labels: ScriptedLabel(name, start_ms, end_ms, confidence)s, labels present in a range
  fake_sleep_ms: pause after each sample, so tests have time to cancel or kill a run
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import av

from streambet.timeline import LabelInfo, LabelSample, Timeline
from streambet.vision.backends import AnalysisOptions
from streambet.vision.control import CancelFlag, ProgressFn
from streambet.vision.errors import AnalysisCanceled
from streambet.vision.pipeline.probe import probe_video


@dataclass(frozen=True)
class FakeConfig:
    """Nothing to configure: the script travels with each analysis's options."""


class FakeEngine:
    name = "fake"

    def __init__(self, config: FakeConfig | None = None) -> None:
        self.config = config or FakeConfig()

    def analyze(
        self,
        path: Path,
        options: AnalysisOptions,
        progress: ProgressFn | None = None,
        cancel: CancelFlag | None = None,
    ) -> Timeline:
        video = probe_video(path, max_seconds=options.max_seconds, max_pixels=options.max_pixels)
        interval_ms = max(1, round(1000 / options.sample_fps))
        sleep_s = options.fake_sleep_ms / 1000
        samples: list[LabelSample] = []
        next_ms = 0
        seen_ms = 0
        with av.open(str(path)) as container:
            stream = container.streams.video[0]
            for frame in container.decode(stream):
                if frame.time is None:
                    continue
                t_ms = round(frame.time * 1000)
                if t_ms < next_ms:
                    continue
                next_ms = t_ms + interval_ms
                seen_ms = t_ms
                if cancel is not None and cancel.is_set():
                    raise AnalysisCanceled(f"canceled at {t_ms} ms")
                frame.to_ndarray(format="rgb24")  # the real decode cost, like an engine
                for item in options.fake_labels:
                    in_range = item.start_ms <= t_ms <= item.end_ms
                    if in_range and item.confidence >= options.min_confidence:
                        samples.append(
                            LabelSample(t_ms, item.name, item.confidence, item.confidence)
                        )
                if progress is not None and video.duration_ms:
                    progress(min(1.0, t_ms / video.duration_ms))
                if sleep_s:
                    time.sleep(sleep_s)
        if progress is not None:
            progress(1.0)
        return Timeline(
            video=video,
            model_version="fake-1",
            sample_interval_ms=interval_ms,
            analysed_from_ms=0,
            analysed_until_ms=max(seen_ms, video.duration_ms),
            samples=samples,
            labels={s.name: LabelInfo(s.name) for s in samples},
            engine=self.name,
        )
