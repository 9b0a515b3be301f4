"""Live streams: glass-to-label latency, capacity and memory. Prints figures, asserts nothing.

    .venv/bin/python bench/live.py latency [--cycles 8]
    .venv/bin/python bench/live.py capacity [--streams 1,2,3,4] [--seconds 60 | --minutes 10]
                                            [--reduced]
    .venv/bin/python bench/live.py memory [--minutes 10]
    .venv/bin/python bench/live.py all      # each of the three in a process of its own

Everything runs in one process per phase: the app on SQLite served by werkzeug's threaded
server (the WebSocket hub included), live jobs claimed as the worker claims them
(streambet.worker.LiveJobs), sources on this machine, and a WebSocket client authenticated
as the streams' operator.

- latency: a 1280x720 30 fps clip that alternates 4 s of black with 4 s of the cat, as a
  direct source (`replay:`, looping) and as live HLS with 1 s segments (PyAV's hls muxer
  writing in real time, tests/support/live_hls.py, served over HTTP). For each cycle: the
  wall time the first cat picture was written by the source (HLS: encoded; replay: handed
  over at its pace) to the Cat `start` event arriving on the WebSocket client. p50/p95
  per source, and the HLS/replay ratio (the baseline: the same engine on a direct source).
- capacity: N looping 720p30 replays at once (the default detectors, or --reduced: the
  classifier alone, no pose), each for --seconds: per stream, samples analysed against
  the samples wanted (sample_fps x seconds), samples dropped to keep up, lag p50/p95 and
  the lag's trend (last third's mean less first third's). Ratios are to N=1 in this run.
  A stream count keeps up when at least 90% of the wanted samples are analysed and the
  lag does not grow. Because the machine may be shared, it also prints a figure other
  processes barely move: the process's CPU seconds per stream-second (all threads:
  decoding, models, app, server), so 2 cores carry 2 / that many streams, and the CPU
  split by thread kind.
- memory: one 720p30 replay with the default detectors for --minutes; peak RSS of the
  process after 1 minute and at the end (VmHWM), and the difference.

The machine's load average is printed with each phase: the 2 cores may be shared.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

from streambet import create_app  # noqa: E402
from streambet.adapters.orm.streams import Stream  # noqa: E402
from streambet.memory import limit_malloc_arenas  # noqa: E402
from streambet.worker import LiveJobs  # noqa: E402
from tests.support import databases  # noqa: E402
from tests.support.api import Actor, make_actor  # noqa: E402
from tests.support.clips import make_clip  # noqa: E402
from tests.support.live import prepared_model_dir  # noqa: E402
from tests.support.live_hls import live_hls  # noqa: E402
from tests.support.threaded_server import serving  # noqa: E402
from tests.support.ws import open_page, ws_url  # noqa: E402

SIZE, FPS = (1280, 720), 30
CYCLE_S = 8  # 4 s black, then 4 s of the cat
BENCH = ROOT / "var" / "bench"
CORES = os.cpu_count() or 1


def _load() -> str:
    return "load average " + " ".join(f"{x:.2f}" for x in os.getloadavg())


def _pct(values: list[float], q: float) -> float:
    return float(np.percentile(values, q)) if values else float("nan")


def _rss_kb(field_name: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field_name + ":"):
            return int(line.split()[1])
    return 0


def _thread_cpu() -> dict[str, float]:
    """CPU seconds per thread name (Python's and native threads: FFmpeg, onnxruntime)."""
    tick = os.sysconf("SC_CLK_TCK")
    named = {t.native_id: t.name for t in threading.enumerate()}
    out: dict[str, float] = {}
    for task in Path("/proc/self/task").iterdir():
        try:
            stat = (task / "stat").read_text()
        except OSError:
            continue  # the thread ended
        name = named.get(int(task.name)) or stat[stat.index("(") + 1 : stat.rindex(")")]
        name = re.sub(r"[-_/:]?\d+$", "", name)  # one figure per kind of thread
        fields = stat[stat.rindex(")") + 2 :].split()
        out[name] = out.get(name, 0.0) + (int(fields[11]) + int(fields[12])) / tick
    return out


def _clip(name: str, segments: list[tuple[str, float]]) -> Path:
    path = BENCH / f"live-{name}.mp4"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        make_clip(path, segments, fps=FPS, size=SIZE, motion=True, options={"g": "30"})
    return path


@dataclass
class Env:
    url: str
    app: Any
    operator: Actor
    jobs: LiveJobs
    media: Path

    def start(self, name: str, source: str, options: dict[str, Any]) -> int:
        made = self.app.test_client().post(
            "/api/streams",
            json={"name": name, "source_url": source, "options": options, "start": True},
            headers=self.operator.headers,
        )
        assert made.status_code == 201, made.get_json()
        sid: int = made.get_json()["id"]
        return sid

    def stop(self, sid: int) -> None:
        self.app.test_client().post(f"/api/streams/{sid}/stop", headers=self.operator.headers)


@contextmanager
def environment(max_streams: int) -> Iterator[Env]:
    models = prepared_model_dir()
    with tempfile.TemporaryDirectory() as tmp, databases.sqlite_database(Path(tmp)) as db:
        app = create_app(
            {
                "env": "test",
                "data_dir": str(Path(tmp) / "var"),
                "queue_backend": "memory",
                "embedded_worker": False,
                "analysis_backend": "fake",
                "database_url": db,
                "model_dir": str(models),
                "ws_max_per_address": 1000,
            }
        )
        jobs = LiveJobs(app.extensions["streambet"], max_streams)
        stop = threading.Event()

        def claim() -> None:
            while not stop.wait(0.5):
                jobs.tick()

        claimer = threading.Thread(target=claim, daemon=True)
        claimer.start()
        try:
            with serving(app) as url:
                yield Env(url, app, make_actor(app, "operator"), jobs, Path(tmp))
        finally:
            stop.set()
            claimer.join(5)
            jobs.stop(30)
            app.extensions["streambet"].close()


@dataclass
class Listener:
    """A WebSocket client on its own thread, keeping what arrives with its arrival time."""

    env: Env
    messages: list[tuple[float, dict[str, Any]]] = field(default_factory=list)
    stop: threading.Event = field(default_factory=threading.Event)

    def __post_init__(self) -> None:
        self.ws = open_page(ws_url(self.env.url), header_token=self.env.operator.token)
        self.ws.settimeout(0.5)
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        import websocket

        while not self.stop.is_set():
            try:
                raw = self.ws.recv()
            except websocket.WebSocketTimeoutException:
                continue
            except Exception:
                return
            self.messages.append((time.time() * 1000, json.loads(raw)))

    def close(self) -> None:
        self.stop.set()
        self.thread.join(5)
        self.ws.close()

    def of(self, topic: str, sid: int) -> list[tuple[float, dict[str, Any]]]:
        return [
            (at, m["payload"])
            for at, m in list(self.messages)
            if m["topic"] == topic and m["payload"].get("stream_id") == sid
        ]

    def cat_starts(self, sid: int) -> list[float]:
        return [at for at, _ in self.cat_events(sid)]

    def cat_events(self, sid: int) -> list[tuple[float, dict[str, Any]]]:
        return [
            (at, e)
            for at, p in self.of("stream.labels", sid)
            for e in p["events"]
            if e["label"] == "Cat" and e["kind"] == "start"
        ]


class BusCounter:
    """The stream.frame events straight from the app's event bus (no WebSocket between:
    a busy client's socket may be dropped by the hub, and its frames would look unmade)."""

    def __init__(self, env: Env) -> None:
        self.subscription = env.app.extensions["streambet"].events.subscribe("stream.frame")
        self.frames: list[dict[str, Any]] = []
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        while not self.subscription.closed:
            event = self.subscription.get(timeout=0.5)
            if event is not None:
                self.frames.append(event.payload)

    def close(self) -> None:
        self.subscription.close()
        self.thread.join(5)

    def of(self, sid: int) -> list[dict[str, Any]]:
        return [p for p in list(self.frames) if p.get("stream_id") == sid]


def _split(glass: list[float], events: list[tuple[float, dict[str, Any]]]) -> str:
    """Where the time went, medians over cycles: glass to the picture the label was seen
    in (the source's delivery and sampling), that picture to its announcement (the models
    and the second sample that confirms), announcement to arrival (bus and WebSocket)."""
    parts: list[tuple[float, float, float]] = []
    for k, g in enumerate(glass):
        until = glass[k + 1] if k + 1 < len(glass) else float("inf")
        hits = [(at, e) for at, e in events if g <= at < until]
        if hits:
            at, e = hits[0]
            parts.append((e["stream_ms"] - g, e["wall_ms"] - e["stream_ms"], at - e["wall_ms"]))
    if not parts:
        return ""
    seen, announced, arrived = (statistics.median(p[i] for p in parts) for i in range(3))
    return (
        f"    median split: to the picture seen {seen:.0f} ms, to its announcement "
        f"{announced:.0f} ms, to the client {arrived:.0f} ms"
    )


def _latencies(glass: list[float], arrivals: list[float]) -> tuple[list[float], int]:
    """For each cycle, the first Cat start after its glass time (and before the next)."""
    out, missed = [], 0
    for k, g in enumerate(glass):
        until = glass[k + 1] if k + 1 < len(glass) else float("inf")
        hits = [a for a in arrivals if g <= a < until]
        if hits:
            out.append(hits[0] - g)
        else:
            missed += 1
    return out, missed


def _report_latency(name: str, values: list[float], missed: int) -> None:
    print(
        f"  {name:<18} cycles {len(values) + missed:>2}  missed {missed}  "
        f"p50 {_pct(values, 50):6.0f} ms  p95 {_pct(values, 95):6.0f} ms  "
        f"max {max(values, default=float('nan')):6.0f} ms"
    )


LATENCY_OPTIONS = {"detectors": ["classifier", "objects"], "pose": False, "audio": False}


def latency(cycles: int) -> None:
    print(f"latency: {cycles} cycles of {CYCLE_S} s per source, 1280x720 30 fps; {_load()}")
    segments: list[tuple[str, float]] = [("black", 4.0), ("chelsea", 4.0)]
    clip = _clip("black-cat", segments)
    results: dict[str, list[float]] = {}
    with environment(1) as env:
        listener = Listener(env)
        try:
            # Direct: the replay hands each picture over at its time; the first frame's
            # stream time (pts 0) fixes the clock, so the cat's first picture of cycle k
            # was handed over at first + k * 8 s + 4 s.
            sid = env.start("replay", f"replay:{clip}", {**LATENCY_OPTIONS, "loop": True})
            deadline = time.monotonic() + 60 + cycles * CYCLE_S
            while time.monotonic() < deadline and len(listener.cat_starts(sid)) < cycles:
                time.sleep(0.5)
            env.stop(sid)
            frames = listener.of("stream.frame", sid)
            first = frames[0][1]["stream_ms"]
            glass = [first + k * CYCLE_S * 1000 + 4000 for k in range(cycles)]
            values, missed = _latencies(glass, listener.cat_starts(sid))
            results["replay"] = values
            _report_latency("replay (direct)", values, missed)
            print(_split(glass, listener.cat_events(sid)))

            # HLS, 1 s segments: the glass time is when the writer encoded the picture.
            with live_hls(env.media, segments * (cycles + 2), fps=FPS, size=SIZE) as source:
                sid = env.start("hls", source.url, LATENCY_OPTIONS)
                deadline = time.monotonic() + 60 + (cycles + 2) * CYCLE_S
                while time.monotonic() < deadline and len(listener.cat_starts(sid)) < cycles:
                    time.sleep(0.5)
                env.stop(sid)
                per_cycle = CYCLE_S * FPS
                glass = [
                    float(source.written[k * per_cycle + 4 * FPS])
                    for k in range(cycles + 2)
                    if k * per_cycle + 4 * FPS < len(source.written)
                ]
                arrivals = listener.cat_starts(sid)
                # Cycles before the reader joined the live edge are not counted.
                glass = [g for g in glass if arrivals and g >= arrivals[0] - 4000 - 3000]
                values, missed = _latencies(glass[:cycles], arrivals)
                results["hls"] = values
                _report_latency("HLS, 1 s segments", values, missed)
                print(_split(glass[:cycles], listener.cat_events(sid)))
        finally:
            listener.close()
    if results.get("replay") and results.get("hls"):
        ratio = _pct(results["hls"], 95) / _pct(results["replay"], 95)
        print(f"  HLS / replay p95 ratio: {ratio:.2f}x")


def capacity(counts: list[int], seconds: int, reduced: bool) -> None:
    options: dict[str, Any] = {"loop": True}
    if reduced:
        options.update(detectors=["classifier"], pose=False)
    kind = "reduced (classifier alone, no pose)" if reduced else "default detectors, pose"
    clip = _clip("photos", [("chelsea", 4.0), ("coffee", 4.0), ("astronaut", 4.0)])
    print(f"capacity: 720p30 replays, {kind}, {seconds} s per count, 2 samples/s wanted")
    base: float | None = None
    for n in counts:
        with environment(n) as env:
            counter = BusCounter(env)
            try:
                sids = [env.start(f"s{i}", f"replay:{clip}", options) for i in range(n)]
                time.sleep(8)  # models loaded, streams claimed and live
                t0 = time.time() * 1000
                cpu0, threads0 = time.process_time(), _thread_cpu()
                time.sleep(seconds)
                cpu, threads1 = time.process_time() - cpu0, _thread_cpu()
                t1 = time.time() * 1000
                for sid in sids:
                    env.stop(sid)
                load = _load()
                with env.app.extensions["streambet"].read_uow() as uow:
                    drops = [uow.session.get(Stream, sid).dropped_samples for sid in sids]
            finally:
                counter.close()
        rates, lags, trends = [], [], []
        for sid in sids:
            # By the picture's stream time (a replay's is its wall time), not by arrival.
            frames = [p for p in counter.of(sid) if t0 <= p["stream_ms"] < t1]
            rates.append(len(frames) / ((t1 - t0) / 1000))
            lag = [p["lag_ms"] for p in frames]
            lags += lag
            third = max(1, len(lag) // 3)
            trends.append(
                statistics.mean(lag[-third:]) - statistics.mean(lag[:third]) if lag else 0
            )
        rate = statistics.mean(rates)
        base = base or rate
        keeps_up = rate >= 0.9 * 2.0 and max(trends) < 500
        # CPU time of the whole process (every thread: decoding, models, app, server) per
        # second of stream analysed: other processes' load barely moves it, unlike lag.
        # A stream that dropped samples did less work, so it is scaled to the wanted rate.
        per_stream = cpu / (n * (t1 - t0) / 1000)
        wanted = per_stream * 2.0 / rate if rate > 0 else float("inf")
        print(
            f"  {n} stream(s): {rate:.2f} samples/s each ({rate / base:.2f}x of 1 stream), "
            f"dropped {sum(drops)}, lag p50 {_pct(lags, 50):.0f} ms p95 {_pct(lags, 95):.0f} ms, "
            f"lag trend {max(trends):+.0f} ms -> {'keeps up' if keeps_up else 'falls behind'}; "
            f"{load}\n"
            f"    CPU {per_stream:.3f} s per stream-second ({wanted:.3f} at 2 samples/s): "
            f"{CORES} cores carry {CORES / wanted:.1f} streams"
        )
        spent = {k: v - threads0.get(k, 0.0) for k, v in threads1.items()}
        top = sorted(spent.items(), key=lambda kv: -kv[1])[:10]
        print("    by thread: " + ", ".join(f"{k} {v / cpu:.0%}" for k, v in top))


def memory(minutes: float) -> None:
    clip = _clip("photos", [("chelsea", 4.0), ("coffee", 4.0), ("astronaut", 4.0)])
    print(f"memory: one 720p30 replay, default detectors, {minutes:g} min; {_load()}")
    with environment(1) as env:
        sid = env.start("mem", f"replay:{clip}", {"loop": True})
        t0 = time.monotonic()
        time.sleep(60)
        one = _rss_kb("VmHWM")
        print(f"  after 1 min: peak RSS {one / 1024:.0f} MB (now {_rss_kb('VmRSS') / 1024:.0f} MB)")
        while time.monotonic() - t0 < minutes * 60:
            time.sleep(30)
        end = _rss_kb("VmHWM")
        env.stop(sid)
    growth = (end - one) / 1024
    print(
        f"  after {minutes:g} min: peak RSS {end / 1024:.0f} MB; growth {growth:+.0f} MB"
        f" ({end / one:.3f}x of 1 min); {_load()}"
    )


def main() -> None:
    limit_malloc_arenas()  # as `streambet serve` / `worker` start, before any thread
    parser = argparse.ArgumentParser()
    parser.add_argument("phase", choices=["latency", "capacity", "memory", "all"])
    parser.add_argument("--cycles", type=int, default=8)
    parser.add_argument("--streams", default="1,2,3,4")
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--reduced", action="store_true")
    parser.add_argument("--minutes", type=float, help="capacity: instead of --seconds; memory: 10")
    args = parser.parse_args()
    if args.phase == "latency":
        latency(args.cycles)
    elif args.phase == "capacity":
        seconds = round(args.minutes * 60) if args.minutes else args.seconds
        capacity([int(n) for n in args.streams.split(",")], seconds, args.reduced)
    elif args.phase == "memory":
        memory(args.minutes or 10)
    else:
        me = [sys.executable, __file__]
        subprocess.run([*me, "latency", "--cycles", str(args.cycles)], check=True)
        for extra in ([], ["--reduced"]):
            subprocess.run(
                [
                    *me,
                    "capacity",
                    "--streams",
                    args.streams,
                    "--seconds",
                    str(args.seconds),
                    *extra,
                ],
                check=True,
            )
        subprocess.run([*me, "memory", "--minutes", str(args.minutes or 10)], check=True)


if __name__ == "__main__":
    main()
