"""`streambet analyze` as a user runs it: a subprocess, JSON on stdout, errors on stderr."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.clips import make_clip

pytestmark = pytest.mark.slow


def _run(args: list[str], model_dir: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "STREAMBET_MODEL_DIR": str(model_dir)}
    return subprocess.run(
        [sys.executable, "-m", "streambet.cli", "analyze", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        check=False,
    )


def test_analyze_prints_rekognition_json(tmp_path: Path) -> None:
    clip = make_clip(tmp_path / "c.mp4", [("chelsea", 2), ("coffee", 2)], fps=10)
    done = _run(
        [str(clip), "--format", "rekognition", "--aggregate-by", "segments", "--fps", "4"],
        tmp_path / "models",
    )
    assert done.returncode == 0, done.stderr
    body = json.loads(done.stdout)
    assert body["AggregateBy"] == "SEGMENTS"
    assert body["VideoMetadata"]["DurationMillis"] == 4000
    cats = [e for e in body["Labels"] if e["Label"]["Name"] == "Cat"]
    assert cats and cats[0]["StartTimestampMillis"] == 0
    assert "analysing [" not in done.stderr  # no progress bar when stderr is not a terminal


def test_analyze_seed_and_segments_formats(tmp_path: Path) -> None:
    clip = make_clip(tmp_path / "c.mp4", [("coffee", 2), ("rocket", 2)], fps=10)
    seed = json.loads(_run([str(clip)], tmp_path / "models").stdout)
    assert seed["status"] == "success" and seed["total_labels"] == len(seed["labels"])
    segs = json.loads(_run([str(clip), "--format", "segments"], tmp_path / "models").stdout)
    assert [s["StartTimestampMillis"] for s in segs["Segments"] if s["Type"] == "SHOT"] == [0, 2000]


def test_analyze_bad_input_exits_non_zero_with_a_message(tmp_path: Path) -> None:
    bogus = tmp_path / "x.mp4"
    bogus.write_text("not a video")
    done = _run([str(bogus)], tmp_path / "models")
    assert done.returncode == 1 and done.stdout == ""
    assert "not_a_video" in done.stderr
    bad_fps = _run([str(bogus), "--fps", "0"], tmp_path / "models")
    assert bad_fps.returncode == 2 and "--fps" in bad_fps.stderr


def test_progress_bar_only_on_a_terminal(tmp_path: Path) -> None:
    import pty

    clip = make_clip(tmp_path / "c.mp4", [("coffee", 2)], fps=10)
    master, slave = pty.openpty()
    env = {**os.environ, "STREAMBET_MODEL_DIR": str(tmp_path / "models")}
    out_path = tmp_path / "out.json"  # a file, so a large stdout cannot block the child
    with (
        out_path.open("wb") as out_file,
        subprocess.Popen(
            [sys.executable, "-m", "streambet.cli", "analyze", str(clip)],
            stdout=out_file,
            stderr=slave,
            env=env,
        ) as proc,
    ):
        os.close(slave)
        chunks = []
        while True:
            try:
                chunk = os.read(master, 4096)
            except OSError:  # the terminal closed with the process
                break
            if not chunk:
                break
            chunks.append(chunk)
        proc.wait(timeout=300)
    os.close(master)
    assert proc.returncode == 0
    assert b"analysing [" in b"".join(chunks) and b"100%" in b"".join(chunks)
    assert json.loads(out_path.read_text())["status"] == "success"  # stdout: clean JSON
