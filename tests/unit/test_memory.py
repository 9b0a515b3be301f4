"""The malloc arena cap (streambet/memory.py) applies on glibc and yields to an operator's
own MALLOC_ARENA_MAX; run in fresh interpreters, as `streambet` itself starts."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

CALL = "from streambet.memory import limit_malloc_arenas as f; print(f())"


def _run(**env: str) -> str:
    base = {k: v for k, v in os.environ.items() if k != "MALLOC_ARENA_MAX"}
    done = subprocess.run(
        [sys.executable, "-c", CALL], env={**base, **env}, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's mallopt is Linux's")
def test_the_cap_applies_and_yields_to_the_operator() -> None:
    assert _run() == "True"
    assert _run(MALLOC_ARENA_MAX="4") == "False"
