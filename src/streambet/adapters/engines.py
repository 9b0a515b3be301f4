"""Analysis backends kept warm between jobs.

A backend loads its models on first use (seconds, hundreds of MB), so building one per job
would put that into every job's time. Each is used by one job at a time (engines are not
promised to be thread-safe); the pool grows to the number of jobs that ran at once, which
the consumer's thread count bounds.
"""

from __future__ import annotations

import contextlib
import queue
from collections.abc import Iterator
from typing import Any

from streambet.config import Settings
from streambet.vision.backends import AnalysisBackend, load_backend


class EnginePool:
    def __init__(self, settings: Settings, name: str | None = None) -> None:
        self.name = name or settings.analysis_backend
        self._kwargs: dict[str, Any] = {"model_dir": settings.resolved_model_dir}
        if self.name == "rekognition":
            # It reads its bucket, region and limits from these settings (the app's, which
            # tests and embedders may have overridden), not from the environment.
            self._kwargs["settings"] = settings
        self._idle: queue.LifoQueue[AnalysisBackend] = queue.LifoQueue()

    @contextlib.contextmanager
    def borrow(self) -> Iterator[AnalysisBackend]:
        try:
            backend = self._idle.get_nowait()
        except queue.Empty:
            backend = load_backend(self.name, **self._kwargs)
        try:
            yield backend
        finally:
            self._idle.put(backend)
