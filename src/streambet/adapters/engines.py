"""Analysis backends kept warm between jobs, each built from its config.

A backend loads its models on first use (seconds, hundreds of MB), so building one per job
would put that into every job's time. Each is used by one job at a time (engines are not
promised to be thread-safe); the pool grows to the number of jobs that ran at once, which
the consumer's thread count bounds.

A backend's config is built here from the app's settings (the ones tests and embedders
may have overridden, not the environment): its registry entry's config class marks which
setting fills each field, so nothing here names a backend.
"""

from __future__ import annotations

import contextlib
import functools
import queue
from collections.abc import Iterator
from typing import Any

from streambet.config import Settings
from streambet.vision.backends import AnalysisBackend, build_config, load_backend


def read_setting(settings: Settings, name: str) -> Any:
    """The setting a backend config names: "rekognition.region" is
    settings.rekognition.region."""
    return functools.reduce(getattr, name.split("."), settings)


def backend_config(settings: Settings, name: str) -> Any:
    """Backend `name`'s config, filled from `settings`."""
    return build_config(name, lambda setting: read_setting(settings, setting))


class EnginePool:
    def __init__(self, settings: Settings, name: str | None = None) -> None:
        self.name = name or settings.analysis_backend
        self._config = backend_config(settings, self.name)
        self._idle: queue.LifoQueue[AnalysisBackend] = queue.LifoQueue()

    @contextlib.contextmanager
    def borrow(self) -> Iterator[AnalysisBackend]:
        try:
            backend = self._idle.get_nowait()
        except queue.Empty:
            backend = load_backend(self.name, self._config)
        try:
            yield backend
        finally:
            self._idle.put(backend)
