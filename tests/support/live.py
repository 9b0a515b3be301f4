"""Helpers for the live stream tests: the prepared model cache and waiting."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from streambet.config import load_settings


def prepared_model_dir() -> Path:
    """The configured model cache, every model prepared (skips where one cannot be)."""
    from streambet.vision.model_cache.prepare import prepare_all

    path = load_settings().resolved_model_dir.resolve()
    missing = [line for line in prepare_all(path) if "UNAVAILABLE" in line]
    if missing:
        pytest.skip(missing[0])
    return path


def wait_for(what: Callable[[], Any], timeout: float = 60, step: float = 0.2) -> Any:
    """`what()` once it is truthy; fails the test after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        found = what()
        if found:
            return found
        assert time.monotonic() < deadline, "timed out"
        time.sleep(step)
