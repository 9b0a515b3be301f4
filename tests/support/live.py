"""Helpers for the live stream tests: the prepared model cache and waiting."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import requests

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


def start_replay_stream(base_url: str, headers: dict[str, str], clip: Path) -> int:
    """Starts a looping `replay:` stream of `clip` (classifier only, no pose) through the
    API, as its operator; returns its id."""
    made = requests.post(
        base_url + "/api/streams",
        json={
            "name": "cat cam",
            "source_url": f"replay:{clip}",
            "options": {"loop": True, "detectors": ["classifier"], "pose": False},
            "start": True,
        },
        headers=headers,
        timeout=10,
    )
    assert made.status_code == 201, made.text
    stream_id: int = made.json()["id"]
    return stream_id
