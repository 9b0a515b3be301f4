"""A scripted engine for plumbing tests (queue, API, durability) ONLY.

It really opens and decodes the file and reports real progress and cancellation, but the
labels it returns come from a script in `options.extra`, never from looking at pixels:
  fake_labels: [{"name", "start_ms", "end_ms", "confidence"}]  labels present in a range
  fake_sleep_ms: pause after each sample, so tests have time to cancel or kill a run
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import av

from streambet.timeline import LabelInfo, LabelSample, Timeline
from streambet.vision.backends import AnalysisOptions, CancelFlag, ProgressFn
from streambet.vision.errors import AnalysisCanceled
from streambet.vision.pipeline.probe import probe_video


class FakeEngine:
    name = "fake"

    def __init__(self, **_: Any) -> None:
        pass

    def analyze(
        self,
        path: Path,
        options: AnalysisOptions,
        progress: ProgressFn | None = None,
        cancel: CancelFlag | None = None,
    ) -> Timeline:
        video = probe_video(path, max_seconds=options.max_seconds, max_pixels=options.max_pixels)
        interval_ms = max(1, round(1000 / options.sample_fps))
        script: list[dict[str, Any]] = list(options.extra.get("fake_labels", ()))
        sleep_s = float(options.extra.get("fake_sleep_ms", 0)) / 1000
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
                for item in script:
                    confidence = float(item.get("confidence", 90.0))
                    in_range = int(item["start_ms"]) <= t_ms <= int(item["end_ms"])
                    if in_range and confidence >= options.min_confidence:
                        samples.append(LabelSample(t_ms, str(item["name"]), confidence, confidence))
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
