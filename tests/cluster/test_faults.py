"""Faults on the local cluster (streambet.cluster: HAProxy, two web nodes, two workers,
PostgreSQL, Redis, moto's S3, all real processes on loopback): a web node killed during a
storm of wagers, a worker killed or stopped mid-analysis or mid-live-stream, Redis and
PostgreSQL restarted. Each test leaves the cluster whole for the next."""

from __future__ import annotations

import json
import signal
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
import websocket
from sqlalchemy import func, select

from streambet.adapters.db import Database
from streambet.adapters.orm.analyses import Analysis
from streambet.adapters.orm.betting import Wager
from streambet.adapters.orm.streams import Stream
from streambet.cluster.control import Cluster, wait_for
from streambet.services import wallet
from streambet.services.unit_of_work import UnitOfWork
from tests.support import cluster as support
from tests.support.clips import make_clip
from tests.support.media import make_video
from tests.support.otlp import Receiver, receiving
from tests.support.ws import open_page, ws_url

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        bool(support.missing_parts()),
        reason=f"the local cluster needs {', '.join(support.missing_parts())}",
    ),
]

RETRYABLE = {502, 503, 504}  # what a client retries with the same Idempotency-Key
LEASE = 10  # STREAMBET_JOB_LEASE_SECONDS on this cluster


@pytest.fixture(scope="module")
def traces() -> Iterator[tuple[Receiver, str]]:
    with receiving() as received:
        yield received


@pytest.fixture(scope="module")
def cluster(
    tmp_path_factory: pytest.TempPathFactory, traces: tuple[Receiver, str]
) -> Iterator[Cluster]:
    run = tmp_path_factory.mktemp("cluster")
    extra = (("STREAMBET_ANALYSIS_BACKEND", "fake"), ("STREAMBET_OTLP_ENDPOINT", traces[1]))
    with support.running_cluster(run, job_lease_seconds=LEASE, extra_env=extra) as c:
        yield c


@pytest.fixture(scope="module")
def db(cluster: Cluster) -> Iterator[Database]:
    database = support.database(cluster)
    yield database
    database.dispose()


def _back_up(cluster: Cluster, *programs: str) -> None:
    """Restarts `programs` and waits until HAProxy has every web node in again."""
    for program in programs:
        if "RUNNING" not in cluster.ctl("status", program, check=False):
            cluster.start(program)
    wait_for("the cluster", cluster.healthy, timeout=60)
    for web in cluster.layout.webs:
        wait_for(f"{web} in the pool", lambda w=web: support.lb_status(cluster, w) == "UP", 60)


def test_one_trace_from_the_load_balancer_to_the_worker(
    cluster: Cluster, db: Database, tmp_path: Path, traces: tuple[Receiver, str]
) -> None:
    """HAProxy names the request (a UUID); the web node's span and the worker's run of the
    job, exported over OTLP from two processes, are one trace with that id."""
    _, token = support.operator(db)
    clip = make_video(tmp_path / "clip.mp4", seconds=1.0)
    with clip.open("rb") as fh:
        r = requests.post(
            f"{cluster.layout.lb_url}/api/analyze",
            files={"file": ("clip.mp4", fh)},
            headers={"Authorization": f"Bearer {token}"},
            timeout=60,
        )
    assert r.status_code == 202, r.text
    trace_id = uuid.UUID(r.headers["X-Request-ID"]).int  # set by HAProxy
    _wait_status(db, r.json()["job_id"], "succeeded")
    want = {
        ("streambet-web", "POST /api/analyze"),
        ("streambet-web", "enqueue run_analysis"),
        ("streambet-worker", "job run_analysis"),
    }
    receiver = traces[0]
    wait_for("the spans", lambda: want <= receiver.of_trace(trace_id), timeout=60)


class _Storm:
    """Bettors placing wagers in a row through the load balancer, each retrying 502/503/
    504 and dropped connections with the same Idempotency-Key, as a careful client does."""

    def __init__(
        self,
        cluster: Cluster,
        market_id: int,
        outcome_id: int,
        people: list[tuple[int, str]],
        per_bettor: int,
    ) -> None:
        self.cluster, self.market_id, self.outcome_id = cluster, market_id, outcome_id
        self.people, self.per_bettor = people, per_bettor
        self.answers: dict[str, int] = {}
        self.unretryable: list[tuple[int, str]] = []
        self._done = threading.Semaphore(0)
        self._threads = [threading.Thread(target=self._bettor, args=p) for p in people]

    def start(self) -> None:
        for t in self._threads:
            t.start()

    def wait_for_a_quarter(self) -> None:
        for _ in range(len(self.people) * self.per_bettor // 4):
            assert self._done.acquire(timeout=120)

    def join(self) -> None:
        for t in self._threads:
            t.join(300)
        assert not any(t.is_alive() for t in self._threads)

    def _bettor(self, user_id: int, token: str) -> None:
        url = f"{self.cluster.layout.lb_url}/api/markets/{self.market_id}/wagers"
        with requests.Session() as http:
            for i in range(self.per_bettor):
                key = f"storm-{user_id}-{i}"
                body = {"outcome_id": self.outcome_id, "stake": 10 + i}
                headers = {"Authorization": f"Bearer {token}", "Idempotency-Key": key}
                for _ in range(200):
                    try:
                        r = http.post(url, json=body, headers=headers, timeout=30)
                    except requests.ConnectionError:
                        time.sleep(0.05)
                        continue
                    if r.status_code in RETRYABLE:
                        time.sleep(0.05)
                        continue
                    if r.status_code >= 500:
                        self.unretryable.append((r.status_code, r.text[:200]))
                    self.answers[key] = r.status_code
                    break
                self._done.release()

    def check_exactly_once(self, db: Database) -> None:
        """Every wager answered 201 and placed once; balances and the ledger agree."""
        count = len(self.people) * self.per_bettor
        assert self.unretryable == []
        assert len(self.answers) == count and set(self.answers.values()) == {201}
        with db.read_sessions() as s:
            mine = Wager.market_id == self.market_id
            placed = s.scalar(select(func.count()).select_from(Wager).where(mine))
            keys = s.scalar(select(func.count(func.distinct(Wager.idempotency_key))).where(mine))
        assert placed == keys == count  # exactly once each
        stakes = sum(10 + i for i in range(self.per_bettor))
        for user_id, _ in self.people:
            assert wallet.balance(UnitOfWork(db.read_sessions), user_id) == 100_000 - stakes
        verify = support.ledger_verify(self.cluster)
        assert verify.returncode == 0, verify.stdout + verify.stderr


def test_kill_9_a_web_node_during_a_wager_storm(cluster: Cluster, db: Database) -> None:
    """Clients retry 502/503/504 and dropped connections with the same Idempotency-Key:
    every wager lands exactly once, nobody sees another 5xx, the ledger verifies."""
    people = support.bettors(db, 12, 100_000)
    op, _ = support.operator(db)
    market_id, yes, _ = support.market(db, op)
    storm = _Storm(cluster, market_id, yes, people, per_bettor=40)
    storm.start()
    storm.wait_for_a_quarter()
    victim = cluster.pid("web1")
    cluster.kill("web1")
    storm.join()
    storm.check_exactly_once(db)
    _back_up(cluster, "web1")
    assert cluster.pid("web1") != victim


def _goodbye(ws: websocket.WebSocket) -> tuple[int, str] | None:
    """The close frame (code, reason) a page hears within 3 s, or None if it stays open."""
    ws.settimeout(3)
    try:
        while True:
            opcode, frame = ws.recv_data_frame(control_frame=True)
            if opcode == websocket.ABNF.OPCODE_CLOSE:
                return int.from_bytes(frame.data[:2], "big"), frame.data[2:].decode()
    except websocket.WebSocketTimeoutException:
        return None


def test_a_web_node_stopping_gracefully_drains(cluster: Cluster, db: Database) -> None:
    """SIGTERM on a web node under a storm of wagers: the storm goes on through the other
    node (nobody sees a 5xx they cannot retry, every wager placed once), the stopping
    node's WebSockets are told 1012 with the reconnect hint, and a reconnect through the
    load balancer reaches the other node."""
    _back_up(cluster)
    url = ws_url(cluster.layout.lb_url)
    pages = [open_page(url) for _ in range(4)]  # round robin: on both nodes
    people = support.bettors(db, 6, 100_000)
    op, _ = support.operator(db)
    market_id, yes, _ = support.market(db, op)
    storm = _Storm(cluster, market_id, yes, people, per_bettor=30)
    storm.start()
    try:
        storm.wait_for_a_quarter()
        cluster.stop("web1")  # graceful; returns once it has exited
        heard = [_goodbye(ws) for ws in pages]
        storm.join()
    finally:
        for ws in pages:
            ws.shutdown()
    storm.check_exactly_once(db)
    told = [h for h in heard if h is not None]
    assert told and len(told) < len(pages), heard  # those on web1 only
    assert set(told) == {(1012, "node stopping: reconnect")}
    again = open_page(url)  # the other node answers
    again.close()
    _back_up(cluster, "web1")


def _upload(cluster: Cluster, token: str, clip: Path, sleep_ms: int, hold: bool = False) -> str:
    options = {"extra": {"fake_sleep_ms": sleep_ms}}
    with clip.open("rb") as fh:
        r = requests.post(
            f"{cluster.layout.lb_url}/api/analyze" + ("?hold=true" if hold else ""),
            files={"options": (None, json.dumps(options)), "file": ("clip.mp4", fh)},
            headers={"Authorization": f"Bearer {token}"},
            timeout=60,
        )
    assert r.status_code == 202, r.text
    return str(r.json()["job_id"])


def _row(db: Database, analysis_id: str) -> Analysis:
    with db.read_sessions() as s:
        row = s.get(Analysis, analysis_id)
        assert row is not None
        return row


def _wait_status(db: Database, analysis_id: str, status: str, timeout: float = 120) -> Analysis:
    wait_for(f"analysis {status}", lambda: _row(db, analysis_id).status == status, timeout)
    return _row(db, analysis_id)


def _finished(cluster: Cluster, analysis_id: str) -> int:
    """How many workers recorded the job as finished (their JSON log lines). The line
    follows the commit, so it is waited for once the row says the job is done."""
    wait_for("the log line", lambda: _finishes(cluster, analysis_id) > 0, timeout=30)
    return _finishes(cluster, analysis_id)


def _finishes(cluster: Cluster, analysis_id: str) -> int:
    return sum(
        1
        for w in cluster.layout.workers
        for line in support.log_lines(cluster, w)
        if line.get("message") == "analysis finished" and line.get("analysis_id") == analysis_id
    )


def _holder(cluster: Cluster, analysis_id: str) -> str:
    """The worker whose log says it started the job."""
    for _ in range(100):
        for w in cluster.layout.workers:
            for line in support.log_lines(cluster, w):
                if line.get("analysis_id") == analysis_id and line["message"] == "analysis started":
                    return w
        time.sleep(0.1)
    raise AssertionError(f"no worker logged starting {analysis_id}")


@pytest.mark.parametrize("how", ["kill -9", "graceful stop"])
def test_a_worker_lost_mid_analysis(
    cluster: Cluster, db: Database, tmp_path: Path, how: str
) -> None:
    """The other worker finishes it exactly once: after the lease on kill -9, at once
    when the worker stops gracefully (it hands the job back)."""
    _, token = support.operator(db)
    clip = make_video(tmp_path / "clip.mp4", seconds=4.0)
    analysis_id = _upload(cluster, token, clip, sleep_ms=600)
    row = _wait_status(db, analysis_id, "running")
    holder = _holder(cluster, analysis_id)
    lost_at = time.monotonic()
    if how == "kill -9":
        cluster.kill(holder)
    else:
        cluster.stop(holder)
    row = _wait_status(db, analysis_id, "succeeded", timeout=180)
    took = time.monotonic() - lost_at
    assert row.timeline is not None
    assert _finished(cluster, analysis_id) == 1
    if how == "graceful stop":
        # handed back, not waited out: the whole run again took less than a lease more
        assert row.attempts == 1
    else:
        assert row.attempts == 2
    print(f"{how}: finished {took:.1f} s after the worker was lost")
    _back_up(cluster, holder)


def _stream(cluster: Cluster, token: str, stream_id: int) -> dict[str, Any]:
    r = requests.get(
        f"{cluster.layout.lb_url}/api/streams/{stream_id}",
        headers={"Authorization": f"Bearer {token}"},
        timeout=10,
    )
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


def _lease(db: Database, stream_id: int) -> tuple[int, str | None]:
    """The stream's current attempt and the worker holding it ("host:pid")."""
    with db.read_sessions() as s:
        row = s.get(Stream, stream_id)
        assert row is not None
        return row.attempts, row.worker


def _node_of(cluster: Cluster, holder: str | None) -> str | None:
    """Which worker node a stream's holder ("host:pid") is, by the supervisor's pids."""
    pid = holder.rsplit(":", 1)[1] if holder else "-"
    # a stopped or killed program answers "0" (and a non-zero exit): not the holder
    return next(
        (w for w in cluster.layout.workers if cluster.ctl("pid", w, check=False).strip() == pid),
        None,
    )


def _status(cluster: Cluster, program: str) -> str:
    return cluster.ctl("status", program, check=False)


def _consuming(cluster: Cluster, worker: str) -> bool:
    """The worker's current process has started its consumer (and claims streams)."""
    pid = cluster.pid(worker)
    return any(
        line.get("message") == "queue consumer started" and line.get("pid") == pid
        for line in support.log_lines(cluster, worker)
    )


@pytest.mark.parametrize("how", ["kill -9", "graceful stop"])
def test_a_worker_lost_mid_live_stream(
    cluster: Cluster, db: Database, tmp_path: Path, how: str
) -> None:
    """A looping replay stream, started through the load balancer, live with labels on one
    worker. Killed, the other worker takes it over once the lease lapses; stopped
    gracefully, the stopping worker hands it back and the other takes it at once. Either
    way the stream is live again and the time between is a gap with the reason."""
    _back_up(cluster, *cluster.layout.workers)
    for w in cluster.layout.workers:  # booted: the one that is not killed claims at once
        wait_for(f"{w} consuming", lambda w=w: _consuming(cluster, w), timeout=120)
    _, token = support.operator(db)
    headers = {"Authorization": f"Bearer {token}"}
    clip = make_clip(tmp_path / "cat.mp4", [("chelsea", 3), ("coffee", 3)], fps=10)
    made = requests.post(
        f"{cluster.layout.lb_url}/api/streams",
        json={
            "name": f"cluster cam ({how})",
            "source_url": f"replay:{clip}",
            "options": {"loop": True, "detectors": ["classifier"], "pose": False, "audio": False},
            "start": True,
        },
        headers=headers,
        timeout=30,
    )
    assert made.status_code == 201, made.text
    sid = int(made.json()["id"])
    try:
        wait_for(
            "the stream live with labels",
            lambda: bool(
                (s := _stream(cluster, token, sid))["status"] == "live"
                and s["events"]
                and s["coverage"]
            ),
            timeout=180,
        )
        time.sleep(1.5)  # the interval's end is written about once a second
        attempt, holder = _lease(db, sid)
        victim = _node_of(cluster, holder)
        assert victim is not None, holder
        lost_at, lost_ms = time.monotonic(), int(time.time() * 1000)
        # SIGTERM is what supervisord's stop sends; sent here so the claim is timed
        # from the signal, not from the process's exit (which follows the hand-back)
        cluster.kill(victim, signal.SIGKILL if how == "kill -9" else signal.SIGTERM)
        wait_for("another worker's claim", lambda: _lease(db, sid)[0] > attempt, timeout=60)
        took = time.monotonic() - lost_at
        wait_for(f"{victim} gone", lambda: "RUNNING" not in _status(cluster, victim), 60)
        gone_ms = int(time.time() * 1000)
        taker = _node_of(cluster, _lease(db, sid)[1])
        assert taker is not None and taker != victim
        wait_for(
            "live again after a gap",
            lambda: bool(
                (s := _stream(cluster, token, sid))["status"] == "live" and len(s["coverage"]) >= 2
            ),
            timeout=120,
        )
        after = _stream(cluster, token, sid)
        print(f"{how}: stream {sid} claimed by {taker} {took:.1f} s after {victim} was lost")
    finally:
        requests.post(
            f"{cluster.layout.lb_url}/api/streams/{sid}/stop", headers=headers, timeout=30
        )
    assert len(after["gaps"]) == 1, after["gaps"]
    gap = after["gaps"][0]
    if how == "kill -9":
        # the lease lapses, then the other worker's next look for streams (every second)
        assert took <= LEASE + 5
        assert gap["reason"] == "the worker stopped without a word (its lease lapsed)"
    else:
        # handed back on SIGTERM (the queue's stopping event), not waited out
        assert took < LEASE / 2
        assert gap["reason"] == "its worker shut down"
    assert gap["from_ms"] <= gone_ms and gap["until_ms"] >= lost_ms
    _back_up(cluster, victim)


def test_redis_restarted_loses_no_job(cluster: Cluster, db: Database, tmp_path: Path) -> None:
    """A job queued while Redis is down is a row: the workers' sweep queues it again once
    Redis is back, and the API says 503 + Retry-After meanwhile, never 500."""
    _, token = support.operator(db)
    clip = make_video(tmp_path / "clip.mp4", seconds=2.0)
    analysis_id = _upload(cluster, token, clip, sleep_ms=50, hold=True)
    cluster.stop("redis")
    try:
        r = requests.post(
            f"{cluster.layout.lb_url}/api/analyses/{analysis_id}/start",
            headers={"Authorization": f"Bearer {token}"},
            timeout=30,
        )
        assert r.status_code == 503, r.text
        assert r.headers["Retry-After"] and r.json()["error"]["code"] == "queue_unavailable"
        assert _row(db, analysis_id).status == "queued"  # recorded: the job is the row
    finally:
        cluster.start("redis")
    row = _wait_status(db, analysis_id, "succeeded", timeout=120)
    assert row.timeline is not None and _finished(cluster, analysis_id) == 1
    _back_up(cluster)


def test_postgresql_restarted(cluster: Cluster, db: Database) -> None:
    """While PostgreSQL is down, requests fail fast with 503 and Retry-After; once it is
    back, the same node processes answer again without being restarted."""
    _, token = support.operator(db)
    me = f"{cluster.layout.lb_url}/api/me"
    headers = {"Authorization": f"Bearer {token}"}
    assert requests.get(me, headers=headers, timeout=10).status_code == 200
    pids = {n: cluster.pid(n) for n in (*cluster.layout.webs, *cluster.layout.workers)}
    db.engine.dispose()
    cluster.stop("postgres")
    try:
        for _ in range(6):  # both nodes, several times; a hung request fails the timeout
            r = requests.get(me, headers=headers, timeout=10)
            assert r.status_code == 503, r.text
            assert r.headers["Retry-After"] and r.json()["error"]["code"] == "database_unavailable"
    finally:
        cluster.start("postgres")
    wait_for(
        "answers after the restart",
        lambda: requests.get(me, headers=headers, timeout=10).status_code == 200,
        timeout=60,
    )
    assert {n: cluster.pid(n) for n in pids} == pids  # nobody was restarted
