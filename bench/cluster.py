"""The local cluster under load (streambet.cluster: HAProxy, web and worker nodes,
PostgreSQL, Redis, moto's S3, one machine): prints figures, asserts nothing about time.

1. Wagers through HAProxy on PostgreSQL: 32 bettors on keep-alive connections (the load
   generator in a process of its own, bench/loadgen.py), with two web nodes and then with
   one (the other stopped gracefully): wagers/s, p50/p99, and the ratio.
2. Analyses per minute with two worker nodes and with one, the local engine (or
   `--engine fake`) on short clips queued all at once; the ratio.
3. Takeover: a worker killed (-9) mid-analysis, until the other starts the job (the lease
   lapsing, STREAMBET_JOB_LEASE_SECONDS); a worker stopped gracefully mid-analysis, until
   the other starts it (handed back); a web node killed, until HAProxy takes it out, with
   wagers flowing meanwhile (how many answered 5xx).
4. Live streams held in real time: `--streams` looping replays (640x360, 30 fps; the
   classifier alone, no pose or sound, 2 samples/s wanted) on one worker, then spread over
   two (each worker claims half: the other is paused with SIGSTOP for the second or two
   it takes to claim, well inside the lease): samples/s per stream (the stream.frame
   announcements on the event bus, one per analysed sample), samples dropped, lag
   p50/p95. Then a worker holding a stream is killed (-9) and another stopped gracefully:
   the time until the other worker claims it, and until the stream is live again.

    .venv/bin/python bench/cluster.py [--wagers-per-bettor 100] [--clips 6]
        [--engine local|fake] [--lease 10] [--streams 2] [--live-seconds 60]
        [--only wagers,analyses,takeover,live]

All processes share this machine's cores: on a 2-core box two nodes of anything cannot
double anything, and the load generator, HAProxy and PostgreSQL take their share of the
same cores. The ratios say how much of the second node's capacity the box could give.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import statistics
import sys
import tempfile
import threading
import time
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import Any

import loadgen
import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from streambet.adapters.events import RedisEventBus  # noqa: E402
from streambet.adapters.orm.streams import Stream  # noqa: E402
from streambet.cluster.control import Cluster, wait_for  # noqa: E402
from tests.support import cluster as support  # noqa: E402
from tests.support.clips import make_clip  # noqa: E402

CLIENTS = 32


def wagers(
    cluster: Cluster,
    people: list[tuple[int, str]],
    market: tuple[int, int, int],
    per_bettor: int,
    tag: str,
) -> tuple[float, float, float, int]:
    """wagers/s, p50 ms, p99 ms, how many were not 201."""
    calls = loadgen.wager_calls(people, market, per_bettor, tag)
    result = loadgen.run(cluster.layout.lb_url, calls)
    placed = result.count(201)
    rate = placed / result.elapsed_s
    p50, p99 = (loadgen.percentile_ms(result.latencies_s, q) for q in (0.5, 0.99))
    return rate, p50, p99, len(result.latencies_s) - placed


def bench_wagers(cluster: Cluster, args: argparse.Namespace) -> None:
    db = support.database(cluster)
    try:
        people = support.bettors(db, CLIENTS, 10_000_000)
        op, _ = support.operator(db)
        market = support.market(db, op)
    finally:
        db.dispose()
    wagers(cluster, people, market, 5, "warm")
    n = args.wagers_per_bettor
    rows = []
    for nodes in (2, 1):
        if nodes == 1:
            cluster.stop("web2")
            wait_for("web2 out of the pool", lambda: support.lb_status(cluster, "web2") != "UP")
        rate, p50, p99, bad = wagers(cluster, people, market, n, f"run{nodes}")
        rows.append(rate)
        print(
            f"    {nodes} web node(s): {rate:,.0f} wagers/s, p50 {p50:.1f} ms, p99 {p99:.1f} ms"
            f" ({CLIENTS * n:,} wagers, {bad} not placed)"
        )
    print(f"    2 nodes / 1 node: {rows[0] / rows[1]:.2f}")
    cluster.start("web2")
    wait_for("web2 back", lambda: support.lb_status(cluster, "web2") == "UP", timeout=60)


def _upload(cluster: Cluster, token: str, clip: Path, options: dict[str, object]) -> str:
    with clip.open("rb") as fh:
        parts: dict[str, Any] = {"options": (None, json.dumps(options)), "file": ("clip.mp4", fh)}
        r = requests.post(
            f"{cluster.layout.lb_url}/api/analyze",
            files=parts,
            headers={"Authorization": f"Bearer {token}"},
            timeout=60,
        )
    r.raise_for_status()
    return str(r.json()["job_id"])


def _status(cluster: Cluster, token: str, analysis_id: str) -> str:
    r = requests.get(
        f"{cluster.layout.lb_url}/api/analyses/{analysis_id}",
        headers={"Authorization": f"Bearer {token}"},
        timeout=30,
    )
    return str(r.json()["status"])


def _all_done(cluster: Cluster, token: str, ids: list[str]) -> bool:
    return all(_status(cluster, token, i) in ("succeeded", "failed") for i in ids)


def _options(args: argparse.Namespace, sleep_ms: int) -> dict[str, object]:
    return {"extra": {"fake_sleep_ms": sleep_ms}} if args.engine == "fake" else {}


def bench_analyses(cluster: Cluster, args: argparse.Namespace, clip: Path) -> None:
    db = support.database(cluster)
    try:
        _, token = support.operator(db)
    finally:
        db.dispose()
    # a round first, until every worker has run a clip (models loaded) before timing
    while not all(_ran_a_job(cluster, w) for w in cluster.layout.workers):
        warm = [_upload(cluster, token, clip, _options(args, 100)) for _ in range(4)]
        wait_for("warm-up", partial(_all_done, cluster, token, warm), 600)
    rates = []
    for workers in (2, 1):
        if workers == 1:
            cluster.stop("worker2")
        t = time.monotonic()
        ids = [_upload(cluster, token, clip, _options(args, 100)) for _ in range(args.clips)]
        wait_for("the analyses", partial(_all_done, cluster, token, ids), timeout=1800)
        elapsed = time.monotonic() - t
        failed = sum(_status(cluster, token, i) == "failed" for i in ids)
        rates.append(len(ids) * 60 / elapsed)
        print(
            f"    {workers} worker(s): {rates[-1]:.1f} analyses/minute ({len(ids)} clips in"
            f" {elapsed:.1f} s, {failed} failed; {args.engine} engine)"
        )
    print(f"    2 workers / 1 worker: {rates[0] / rates[1]:.2f}")
    _restart(cluster, "worker2")


def _ran_a_job(cluster: Cluster, worker: str) -> bool:
    return any(
        line.get("message") == "analysis finished" for line in support.log_lines(cluster, worker)
    )


def _consumers_started(cluster: Cluster, worker: str) -> int:
    lines = support.log_lines(cluster, worker)
    return sum(line.get("message") == "queue consumer started" for line in lines)


def _restart(cluster: Cluster, worker: str) -> None:
    """Starts a stopped worker and waits until it takes jobs (it boots in seconds here)."""
    before = _consumers_started(cluster, worker)
    cluster.start(worker)
    wait_for(f"{worker} to consume", lambda: _consumers_started(cluster, worker) > before, 120)


def _starters(cluster: Cluster, analysis_id: str, attempt: int) -> set[str]:
    """The workers whose logs say they started `analysis_id` as `attempt`."""
    return {
        w
        for w in cluster.layout.workers
        for line in support.log_lines(cluster, w)
        if line.get("message") == "analysis started"
        and line.get("analysis_id") == analysis_id
        and line.get("attempt") == attempt
    }


def _logged_at(cluster: Cluster, worker: str, message: str, analysis_id: str) -> float:
    """When `worker` last logged `message` about `analysis_id` (epoch seconds)."""
    stamps = [
        datetime.fromisoformat(line["ts"]).timestamp()
        for line in support.log_lines(cluster, worker)
        if line.get("message") == message and line.get("analysis_id") == analysis_id
    ]
    return stamps[-1]


def _started_elsewhere(cluster: Cluster, analysis_id: str, attempt: int, holder: str) -> bool:
    return bool(_starters(cluster, analysis_id, attempt) - {holder})


def bench_takeover(cluster: Cluster, args: argparse.Namespace, clip: Path) -> None:
    db = support.database(cluster)
    try:
        _, token = support.operator(db)
        people = support.bettors(db, 8, 10_000_000)
        op, _ = support.operator(db)
        market = support.market(db, op)
    finally:
        db.dispose()
    for how in ("kill -9", "graceful stop"):
        analysis_id = _upload(cluster, token, clip, _options(args, 2000))
        wait_for("a worker starts it", partial(_started_elsewhere, cluster, analysis_id, 1, ""))
        (holder,) = _starters(cluster, analysis_id, 1)
        lost = time.time()
        if how == "kill -9":
            cluster.kill(holder)
        else:
            cluster.stop(holder)  # returns once the worker has exited
        # a graceful stop hands the job back with its attempt undone: it starts as 1 again
        again = 2 if how == "kill -9" else 1
        wait_for(
            "another worker starts it",
            partial(_started_elsewhere, cluster, analysis_id, again, holder),
            timeout=300,
        )
        other = next(w for w in cluster.layout.workers if w != holder)
        started = _logged_at(cluster, other, "analysis started", analysis_id)
        line = f"    worker {how} mid-analysis -> another worker starts it: {started - lost:.1f} s"
        if how == "kill -9":
            line += f" (lease {args.lease} s)"
        else:
            back = _logged_at(cluster, holder, "analysis handed back to the queue", analysis_id)
            line += (
                f" (the engine noticed the stop after {back - lost:.1f} s and handed it"
                f" back; taken {started - back:.2f} s after that)"
            )
        print(line)
        wait_for("it finishes", partial(_all_done, cluster, token, [analysis_id]), 600)
        _restart(cluster, holder)
    # a web node killed under a steady trickle of wagers
    stop = threading.Event()
    failures: list[int] = []

    def trickle(user_id: int, bearer: str) -> None:
        i = 0
        with requests.Session() as http:
            while not stop.is_set():
                i += 1
                try:
                    r = http.post(
                        f"{cluster.layout.lb_url}/api/markets/{market[0]}/wagers",
                        json={"outcome_id": market[1], "stake": 1},
                        headers={"Authorization": f"Bearer {bearer}", "Idempotency-Key": f"t{i}"},
                        timeout=30,
                    )
                except requests.ConnectionError:
                    failures.append(0)
                    continue
                if r.status_code >= 500:
                    failures.append(r.status_code)

    threads = [threading.Thread(target=trickle, args=p) for p in people]
    for th in threads:
        th.start()
    time.sleep(2)
    t = time.monotonic()
    cluster.kill("web1")
    wait_for("HAProxy marks web1 down", lambda: support.lb_status(cluster, "web1") == "DOWN")
    down = time.monotonic() - t
    time.sleep(2)
    stop.set()
    for th in threads:
        th.join(60)
    print(
        f"    web node kill -9 -> HAProxy takes it out: {down:.1f} s; wagers meanwhile"
        f" answered 5xx {len(failures)} time(s) (retryable with the same key)"
    )
    cluster.start("web1")
    wait_for("web1 back", lambda: support.lb_status(cluster, "web1") == "UP", timeout=60)


class _Frames:
    """A subscriber to the cluster's event bus (Redis), keeping the stream.frame
    announcements (one per analysed sample, from whichever worker) with their times."""

    def __init__(self, cluster: Cluster) -> None:
        # kept: the bus owns the connection pool the subscription reads from
        self.bus = RedisEventBus(cluster.layout.node_env("bench")["STREAMBET_REDIS_URL"])
        self.subscription = self.bus.subscribe("stream.frame")
        self.heard: list[tuple[float, dict[str, Any]]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            event = self.subscription.get(timeout=0.5)
            if event is not None:
                self.heard.append((time.time(), event.payload))

    def of(self, sid: int, t0: float, t1: float) -> list[dict[str, Any]]:
        return [p for at, p in list(self.heard) if t0 <= at < t1 and p["stream_id"] == sid]

    def close(self) -> None:
        self._stop.set()
        self._thread.join(5)
        self.subscription.close()
        self.bus.close()


class _Streams:
    """Streams started and read through HAProxy as one operator."""

    def __init__(self, cluster: Cluster, token: str, clip: Path) -> None:
        self.cluster, self.clip = cluster, clip
        self.options: dict[str, Any] = {
            "loop": True,
            "detectors": ["classifier"],
            "pose": False,
            "audio": False,
        }
        self.headers = {"Authorization": f"Bearer {token}"}
        self.db = support.database(cluster)

    def start(self, name: str) -> int:
        r = requests.post(
            f"{self.cluster.layout.lb_url}/api/streams",
            json={
                "name": name,
                "source_url": f"replay:{self.clip}",
                "options": self.options,
                "start": True,
            },
            headers=self.headers,
            timeout=30,
        )
        r.raise_for_status()
        return int(r.json()["id"])

    def stop(self, sid: int) -> None:
        url = f"{self.cluster.layout.lb_url}/api/streams/{sid}/stop"
        requests.post(url, headers=self.headers, timeout=30).raise_for_status()

    def status(self, sid: int) -> str:
        r = requests.get(
            f"{self.cluster.layout.lb_url}/api/streams/{sid}", headers=self.headers, timeout=30
        )
        return str(r.json()["status"])

    def row(self, sid: int) -> tuple[int, str | None, int]:
        """attempt, holder ("host:pid"), dropped samples"""
        with self.db.read_sessions() as s:
            row = s.get(Stream, sid)
            assert row is not None
            return row.attempts, row.worker, row.dropped_samples or 0

    def holder(self, sid: int) -> str | None:
        _, worker, _ = self.row(sid)
        pid = worker.rsplit(":", 1)[1] if worker else "-"
        workers = self.cluster.layout.workers  # a stopped one answers "0" (exit non-zero)
        return next(
            (w for w in workers if self.cluster.ctl("pid", w, check=False).strip() == pid), None
        )


def _claimed_by(streams: _Streams, sids: list[int], worker: str) -> bool:
    return all(streams.holder(sid) == worker for sid in sids)


def _hold(streams: _Streams, count: int, worker: str, paused: str | None, tag: str) -> list[int]:
    """`count` new streams claimed by `worker`: `paused` (the other worker) is stopped with
    SIGSTOP meanwhile, for the second or two this takes (inside the lease)."""
    cluster = streams.cluster
    if paused:
        cluster.kill(paused, signal.SIGSTOP)
    try:
        sids = [streams.start(f"{tag}-{i}") for i in range(count)]
        wait_for(f"{worker} claims them", partial(_claimed_by, streams, sids, worker), 30)
    finally:
        if paused:
            cluster.kill(paused, signal.SIGCONT)
    return sids


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q / 100 * len(ordered)))] if ordered else 0.0


def _measure(
    streams: _Streams, frames: _Frames, sids: list[int], seconds: int, label: str
) -> float:
    wait_for("the streams live", lambda: all(streams.status(s) == "live" for s in sids), 300)
    time.sleep(5)  # settled
    dropped0 = [streams.row(s)[2] for s in sids]
    t0 = time.time()
    time.sleep(seconds)
    t1 = time.time()
    dropped = sum(streams.row(s)[2] for s in sids) - sum(dropped0)
    load = os.getloadavg()[0]
    for sid in sids:
        streams.stop(sid)
    rates, lags = [], []
    for sid in sids:
        heard = frames.of(sid, t0, t1)
        rates.append(len(heard) / (t1 - t0))
        lags += [p["lag_ms"] for p in heard if p.get("lag_ms") is not None]
    rate = statistics.mean(rates)
    print(
        f"    {label}: {rate:.2f} samples/s per stream (2 wanted; {min(rates):.2f} to"
        f" {max(rates):.2f}),"
        f" {dropped} dropped in {seconds} s, lag p50 {_pct(lags, 50):.0f} ms p95"
        f" {_pct(lags, 95):.0f} ms; load average {load:.1f}"
    )
    return rate


def _live_takeover(streams: _Streams, how: str, lease: int) -> None:
    """A worker holding a live stream killed or stopped: until the other claims it, and
    until it is live again (the claiming worker loads its models if it has none yet)."""
    cluster = streams.cluster
    sid = streams.start(f"takeover ({how})")
    wait_for("live", lambda: streams.status(sid) == "live", 300)
    time.sleep(2)
    attempt = streams.row(sid)[0]
    victim = streams.holder(sid)
    assert victim is not None
    lost = time.monotonic()
    # SIGTERM is supervisord's graceful stop, sent here to time from the signal
    cluster.kill(victim, signal.SIGKILL if how == "kill -9" else signal.SIGTERM)
    wait_for("claimed", lambda: streams.row(sid)[0] > attempt, 120)
    claimed = time.monotonic() - lost
    wait_for("live again", lambda: streams.status(sid) == "live", 300)
    live = time.monotonic() - lost
    streams.stop(sid)
    wait_for("exited", lambda: "RUNNING" not in cluster.ctl("status", victim, check=False), 60)
    note = f" (lease {lease} s)" if how == "kill -9" else " (handed back)"
    print(
        f"    worker {how} holding a stream -> the other claims it: {claimed:.1f} s{note},"
        f" live again: {live:.1f} s"
    )
    _restart(cluster, victim)


def bench_live(cluster: Cluster, args: argparse.Namespace, clip: Path) -> None:
    db = support.database(cluster)
    try:
        _, token = support.operator(db)
    finally:
        db.dispose()
    streams = _Streams(cluster, token, clip)
    frames = _Frames(cluster)
    try:
        n = args.streams
        cluster.stop("worker2")
        one = _measure(
            streams,
            frames,
            _hold(streams, n, "worker1", None, "one"),
            args.live_seconds,
            f"{n} stream(s) on 1 worker",
        )
        _restart(cluster, "worker2")
        half = n // 2
        sids = _hold(streams, n - half, "worker1", "worker2", "two-a")
        sids += _hold(streams, half, "worker2", "worker1", "two-b")
        two = _measure(streams, frames, sids, args.live_seconds, f"{n} stream(s) on 2 workers")
        print(f"    samples/s per stream, 2 workers / 1 worker: {two / max(one, 1e-9):.2f}")
        for how in ("kill -9", "graceful stop"):
            _live_takeover(streams, how, args.lease)
    finally:
        frames.close()
        streams.db.dispose()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--wagers-per-bettor", type=int, default=100)
    parser.add_argument("--clips", type=int, default=6)
    parser.add_argument("--engine", choices=("local", "fake"), default="local")
    parser.add_argument("--lease", type=int, default=10, help="STREAMBET_JOB_LEASE_SECONDS")
    parser.add_argument("--streams", type=int, default=2, help="live streams (2 to 4)")
    parser.add_argument("--live-seconds", type=int, default=60)
    parser.add_argument("--only", default="wagers,analyses,takeover,live")
    args = parser.parse_args()
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"cluster bench: {os.cpu_count()} CPUs visible, load average {load} at start")
    extra = (("STREAMBET_ANALYSIS_BACKEND", args.engine),)
    with tempfile.TemporaryDirectory(prefix="sbcluster-") as tmp:
        clip = make_clip(
            Path(tmp) / "clip.mp4", [("chelsea", 3), ("coffee", 3)], fps=10, size=(320, 180)
        )
        live_clip = make_clip(
            Path(tmp) / "live.mp4", [("chelsea", 4), ("coffee", 4)], fps=30, size=(640, 360)
        )
        with support.running_cluster(
            Path(tmp) / "run", job_lease_seconds=args.lease, extra_env=extra
        ) as cluster:
            phases = args.only.split(",")
            if "wagers" in phases:
                print("\n== wagers through HAProxy, PostgreSQL ==")
                bench_wagers(cluster, args)
            if "analyses" in phases:
                print("\n== analyses ==")
                bench_analyses(cluster, args, clip)
            if "takeover" in phases:
                print("\n== takeover ==")
                bench_takeover(cluster, args, clip)
            if "live" in phases:
                print("\n== live streams ==")
                bench_live(cluster, args, live_clip)


if __name__ == "__main__":
    main()
