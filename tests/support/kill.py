"""Kill a real subprocess at a named checkpoint of a use case: the child runs `body` (which
calls the use case with `checkpoint`), prints when it reaches `stage`, and is SIGKILLed
there, so a test can check that nothing of the interrupted transaction survived."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap

import pytest
from flask import Flask

_PRELUDE = """
import sys, time
from streambet.config import load_settings
from streambet.wiring import build_wiring

stop_at = sys.argv[1]

def checkpoint(stage):
    if stage == stop_at:
        print("STOPPED AT", stage, flush=True)
        time.sleep(600)

w = build_wiring(load_settings())
"""


def kill_at(app: Flask, stage: str, body: str) -> None:
    """Run `body` (Python, with `w` and `checkpoint` defined) in a child on the app's
    database and data folder, and SIGKILL it once it reports reaching `stage`."""
    settings = app.extensions["streambet"].settings
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("STREAMBET_")},
        "STREAMBET_DATABASE_URL": settings.resolved_database_url,
        "STREAMBET_DATA_DIR": str(settings.data_dir),
        "STREAMBET_ENV": "test",
    }
    code = _PRELUDE + textwrap.dedent(body)
    with subprocess.Popen(
        [sys.executable, "-c", code, stage],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    ) as child:
        assert child.stdout is not None and child.stderr is not None
        line = child.stdout.readline()
        if line.strip() != f"STOPPED AT {stage}":
            child.kill()
            pytest.fail(f"child did not reach {stage!r}: {line!r} {child.stderr.read()}")
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=60)
    assert child.returncode == -signal.SIGKILL
