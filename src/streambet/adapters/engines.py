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
from pathlib import Path

from streambet.vision.backends import AnalysisBackend, load_backend


class EnginePool:
    def __init__(self, name: str, model_dir: Path) -> None:
        self.name = name
        self.model_dir = model_dir
        self._idle: queue.LifoQueue[AnalysisBackend] = queue.LifoQueue()

    @contextlib.contextmanager
    def borrow(self) -> Iterator[AnalysisBackend]:
        try:
            backend = self._idle.get_nowait()
        except queue.Empty:
            backend = load_backend(self.name, model_dir=self.model_dir)
        try:
            yield backend
        finally:
            self._idle.put(backend)
