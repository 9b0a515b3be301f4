"""Live markets: detection to settled market. Prints figures, asserts nothing.

    .venv/bin/python bench/live_markets.py [--cycles 8] [--sweep-only]

One process: the app on SQLite with the worker as `streambet serve` runs it
(streambet.worker.Worker: the live job, the betting sweep every 2 s, and the live-market
thread that settles a stream's markets when its label events are published), following a
looping replay of 6 s of black then 4 s of the astronaut (the default picture detectors).
Each cycle opens a market "a person in the next 15 s" while the picture is black, so the
next sighting is a fresh detection inside its window, and listens on the event bus:

- baseline: the engine stores the Person `start` event (its `wall_ms`) -> that label event
  heard on the bus;
- settled: the same `wall_ms` -> the market's `resolved` status heard on the bus (the
  target is 2 s at most);
- also the picture's own time (`stream_ms`, when the source handed it over) -> settled,
  which adds the engine's sampling and smoothing.

`--sweep-only` runs the same with the label-event trigger off (markets then settle on the
one-second sweep alone), to show what the trigger buys. The machine's load average is
printed: the 2 cores may be shared.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from streambet import create_app  # noqa: E402
from streambet.services.streams import TOPIC_LABELS  # noqa: E402
from streambet.worker import Worker  # noqa: E402
from tests.support import databases  # noqa: E402
from tests.support.api import make_actor  # noqa: E402
from tests.support.clips import make_clip  # noqa: E402
from tests.support.live import prepared_model_dir  # noqa: E402

WINDOW_MS = 15_000


def _load() -> str:
    return "load average " + " ".join(f"{x:.2f}" for x in os.getloadavg())


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


def _line(name: str, values: list[float], baseline: list[float] | None = None) -> str:
    text = (
        f"{name:<44} n={len(values):>2}  p50 {_pct(values, 50):7.0f} ms"
        f"  p95 {_pct(values, 95):7.0f} ms  max {max(values, default=float('nan')):7.0f} ms"
    )
    if baseline:
        text += f"  ({statistics.median(values) / statistics.median(baseline):.1f}x baseline p50)"
    return text


def run(cycles: int, sweep_only: bool) -> None:
    with tempfile.TemporaryDirectory() as tmp, databases.sqlite_database(Path(tmp)) as db:
        clip = make_clip(Path(tmp) / "room.mp4", [("black", 6), ("astronaut", 4)], fps=10)
        app = create_app(
            {
                "env": "test",
                "data_dir": str(Path(tmp) / "var"),
                "queue_backend": "memory",
                "embedded_worker": False,
                "analysis_backend": "fake",
                "database_url": db,
                "model_dir": str(prepared_model_dir()),
                "dispute_window_seconds": 0,
            }
        )
        w = app.extensions["streambet"]
        if sweep_only:  # the label-event trigger hears nothing: the sweep alone settles
            w.events.subscribe = _without_labels(w.events.subscribe)
        op = make_actor(app, "operator")
        c = app.test_client()
        sid = c.post(
            "/api/streams",
            json={
                "name": "bench",
                "source_url": f"replay:{clip}",
                "options": {"loop": True, "audio": False},
                "start": True,
            },
            headers=op.headers,
        ).get_json()["id"]
        heard = w.events.subscribe(TOPIC_LABELS, "market.status")
        worker = Worker(w, workers=1)
        worker.start()
        baseline: list[float] = []
        settled: list[float] = []
        from_picture: list[float] = []
        try:
            for _ in range(cycles):
                _wait_for_person_end(heard)
                start = int(time.time() * 1000) + 300
                made = c.post(
                    f"/api/streams/{sid}/markets",
                    json={
                        "question": "A person in the next 15 s?",
                        "criteria": {"label": "Person"},
                        "from_ms": start,
                        "until_ms": start + WINDOW_MS,
                    },
                    headers=op.headers,
                ).get_json()
                mid = made["market"]["id"]
                seen: dict[str, Any] = {}
                deadline = time.monotonic() + 40
                while "resolved" not in seen and time.monotonic() < deadline:
                    event = heard.get(timeout=0.5)
                    if event is None:
                        continue
                    now = time.time() * 1000
                    if event.topic == TOPIC_LABELS and "start" not in seen:
                        for e in event.payload["events"]:
                            if (
                                e["label"] == "Person"
                                and e["kind"] == "start"
                                and e["stream_ms"] >= start
                            ):
                                seen["start"] = e
                                baseline.append(now - e["wall_ms"])
                    elif (
                        event.topic == "market.status"
                        and event.payload["market_id"] == mid
                        and event.payload["status"] == "resolved"
                    ):
                        seen["resolved"] = now
                if "start" in seen and "resolved" in seen:
                    settled.append(seen["resolved"] - seen["start"]["wall_ms"])
                    from_picture.append(seen["resolved"] - seen["start"]["stream_ms"])
                else:
                    print(f"  market {mid}: not settled from a fresh detection in 40 s")
        finally:
            worker.stop(30)
            heard.close()
            w.close()
    mode = "sweep only (no label-event trigger)" if sweep_only else "label-event trigger"
    print(f"live markets, {mode}; {_load()}")
    print(_line("baseline: event stored -> heard on the bus", baseline))
    print(_line("event stored -> market resolved (target 2 s)", settled, baseline))
    print(_line("picture taken -> market resolved", from_picture, baseline))


def _wait_for_person_end(heard: Any) -> None:
    """Until the astronaut has left the picture (black for the next 6 s)."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        event = heard.get(timeout=0.5)
        if (
            event is not None
            and event.topic == TOPIC_LABELS
            and any(e["label"] == "Person" and e["kind"] == "end" for e in event.payload["events"])
        ):
            return


def _without_labels(subscribe: Any) -> Any:
    def wrapped(*topics: str) -> Any:
        if topics == (TOPIC_LABELS,):
            return subscribe("bench.nothing")
        return subscribe(*topics)

    return wrapped


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cycles", type=int, default=8)
    parser.add_argument("--sweep-only", action="store_true")
    args = parser.parse_args()
    run(args.cycles, args.sweep_only)


if __name__ == "__main__":
    main()
