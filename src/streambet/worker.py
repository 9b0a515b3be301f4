"""The queue's tasks and the worker that runs them beside the periodic jobs.

`register_tasks(wiring)` puts the use cases on the wiring's queue (every process that
builds a wiring does it, since queuing a Huey task needs it registered). A `Worker` runs
the consumer threads (adapters/queue.py) plus the periodic jobs: re-queuing jobs whose
lease lapsed, the betting sweep (which also sends the withdrawals that are due), and the
storage orphan sweep. `streambet worker` runs
one standalone; `streambet serve` runs one inside a gunicorn worker (server.py).
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import threading
import time
from collections.abc import Callable
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from prometheus_client import CONTENT_TYPE_LATEST

from streambet.adapters.queue import QueueConsumer
from streambet.services import (
    analysis_runs,
    live_runs,
    live_settlement,
    market_templates,
    orphans,
    sweeper,
    twitch_mirror,
)
from streambet.services.analyses import RUN_TASK
from streambet.services.orphans import GRACE
from streambet.services.streams import TOPIC_LABELS
from streambet.services.sweeper import SweepReport
from streambet.wiring import Wiring

log = logging.getLogger(__name__)
ORPHAN_SWEEP_SECONDS = 15 * 60  # services/orphans.py: storage a crash left behind
LIVE_CLAIM_SECONDS = 1.0  # how often a worker with room looks for a stream to follow
RETENTION_SWEEP_SECONDS = 10 * 60
LIVE_MARKET_SWEEP_SECONDS = 1.0  # live markets without news: NO, gaps, bet delays


class LiveJobs:
    """Follows up to `limit` live streams, each a thread running services/live_runs.py,
    claiming streams that should run and that nobody holds (or whose holder died)."""

    def __init__(self, w: Wiring, limit: int) -> None:
        self.runner = w.live_runner
        self.limit = limit
        self.name = f"{socket.gethostname()}:{os.getpid()}"
        self._jobs: dict[int, tuple[threading.Thread, threading.Event]] = {}

    def tick(self) -> None:
        self._jobs = {k: v for k, v in self._jobs.items() if v[0].is_alive()}
        while len(self._jobs) < self.limit:
            claim = live_runs.claim_next(self.runner, self.name, set(self._jobs))
            if claim is None:
                return
            stop = threading.Event()
            thread = threading.Thread(
                target=live_runs.run_stream,
                args=(self.runner, claim, stop),
                name=f"live-{claim.stream_id}",
                daemon=True,
            )
            thread.start()
            self._jobs[claim.stream_id] = (thread, stop)

    def signal_stop(self) -> None:
        """Tells every live job to hand its stream back (without waiting for it)."""
        for _, stop in self._jobs.values():
            stop.set()

    def stop(self, timeout: float) -> None:
        self.signal_stop()
        for thread, _ in self._jobs.values():
            thread.join(timeout)
        self._jobs.clear()


def register_tasks(w: Wiring) -> None:
    queue = w.queue
    queue.register(
        RUN_TASK,
        lambda analysis_id: analysis_runs.run(w.runner, str(analysis_id), queue.stopping),
    )


def sweep_betting(w: Wiring) -> SweepReport:
    """Lock due markets, start the held analyses of locked ones, settle from evidence, pay
    out, send due withdrawals."""
    return sweeper.sweep(
        w.uow, w.read_uow, w.timelines, w.settlement_policy, w.payments.payouts, queue=w.queue
    )


def sweep_storage(w: Wiring, grace: timedelta = GRACE) -> orphans.SweepResult:
    return orphans.sweep_orphans(w.read_uow(), w.storage, w.settings.data_dir / "tmp", grace)


class Worker:
    """Consumer threads that run queued tasks, plus the periodic jobs."""

    def __init__(self, w: Wiring, workers: int | None = None) -> None:
        self.w = w
        self.queue = w.queue
        self.workers = workers or w.settings.queue_workers
        self._consumer = QueueConsumer(self.queue, self.workers)
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._live = LiveJobs(w, w.settings.live_max_streams)

    def start(self) -> None:
        self.queue.stopping.clear()
        self._stop.clear()
        # Jobs whose queue entry was lost (e.g. the queue store was wiped) go back in.
        analysis_runs.requeue_missing(self.w.runner, self.queue.pending(RUN_TASK))
        self._consumer.start()
        self._spawn(self._sweep_jobs, "streambet-sweeper")
        if self.w.settings.betting_sweep_seconds > 0:
            self._spawn(self._sweep_betting, "streambet-betting")
        if self._live.limit > 0:
            self._spawn(self._follow_streams, "streambet-live")
        if self.w.settings.betting_sweep_seconds > 0:
            self._spawn(self._settle_live_markets, "streambet-live-markets")
        log.info("queue consumer started", extra={"workers": self.workers})

    def _spawn(self, target: Callable[[], None], name: str) -> None:
        thread = threading.Thread(target=target, name=name, daemon=True)
        thread.start()
        self._threads.append(thread)

    def _sweep_jobs(self) -> None:
        interval = max(0.5, self.w.settings.job_lease_seconds / 3)
        orphans_due = time.monotonic()  # at start: a crash is what leaves orphans
        while not self._stop.wait(interval):
            try:
                analysis_runs.requeue_expired(self.w.runner)
                # Queued rows whose queue entry is gone (Redis restarted without its data,
                # or it was down when the job was queued) go back in: jobs are rows.
                analysis_runs.requeue_missing(self.w.runner, self.queue.pending(RUN_TASK))
            except Exception:
                log.exception("sweeper failed")
            if time.monotonic() >= orphans_due:
                orphans_due = time.monotonic() + ORPHAN_SWEEP_SECONDS
                try:
                    sweep_storage(self.w)
                except Exception:
                    log.exception("orphan sweep failed")

    def _sweep_betting(self) -> None:
        """Markets move on without anyone watching: due markets lock, locked markets settle
        once their analysis is stored, settled markets pay when the dispute window closes.
        Each step is its own transaction and safe to run on several workers at once."""
        while not self._stop.wait(self.w.settings.betting_sweep_seconds):
            try:
                sweep_betting(self.w)
            except Exception:
                log.exception("betting sweep failed")

    def _follow_streams(self) -> None:
        """Claims streams to follow while there is room; deletes what retention has
        outlived."""
        retention_due = time.monotonic()
        while not self._stop.wait(LIVE_CLAIM_SECONDS):
            try:
                self._live.tick()
                if time.monotonic() >= retention_due:
                    retention_due = time.monotonic() + RETENTION_SWEEP_SECONDS
                    live_runs.sweep_retention(self._live.runner)
            except Exception:
                log.exception("live streams: claim or retention failed")

    def _settle_live_markets(self) -> None:
        """A stream's live markets are looked at as soon as one of its label events is
        published (early YES within a second or two of the detection), and all of them
        every second (NO once covered, gaps, bet delays), when recurring templates open
        their next market too. Safe on any number of workers."""
        w = self.w

        def sweep(stream_id: int | None = None) -> None:
            live_settlement.sweep_live(
                w.uow, w.read_uow, w.vocabulary, w.live_settlement_policy, stream_id=stream_id
            )

        subscription = None
        next_sweep = time.monotonic()
        while not self._stop.is_set():
            try:
                if subscription is None:
                    subscription = w.events.subscribe(TOPIC_LABELS)
                event = subscription.get(timeout=LIVE_MARKET_SWEEP_SECONDS / 2)
                if event is not None:
                    sweep(int(event.payload["stream_id"]))
                if time.monotonic() >= next_sweep:
                    next_sweep = time.monotonic() + LIVE_MARKET_SWEEP_SECONDS
                    market_templates.open_due(w.uow, w.read_uow, w.vocabulary)
                    sweep()
                    if w.twitch_helix is not None:
                        twitch_mirror.sync_predictions(w.uow, w.twitch_helix, w.token_box)
            except Exception:
                log.exception("live markets: settlement sweep failed")
                if subscription is not None:
                    subscription.close()
                subscription = None
                self._stop.wait(LIVE_MARKET_SWEEP_SECONDS)
        if subscription is not None:
            subscription.close()

    def stop(self, timeout: float = 30.0) -> None:
        """Running analyses are interrupted and handed back to the queue, and live streams
        are handed back, so they resume on the next start (or on another worker) instead
        of waiting for their lease to lapse."""
        self.queue.stopping.set()
        self._stop.set()
        # Live jobs hand their streams back now, not after the running analyses are back.
        self._live.signal_stop()
        self._consumer.stop(timeout)
        self._live.stop(timeout)
        for thread in self._threads:
            thread.join(timeout)
        self._threads.clear()
        log.info("queue consumer stopped")

    def run_forever(self) -> None:
        """For `streambet worker`: runs until SIGINT/SIGTERM, then stops cleanly: it claims
        nothing more and hands its running jobs back to the queue, so another worker takes
        them at once rather than when their lease lapses."""
        done = threading.Event()

        def _on_signal(signum: int, _frame: object) -> None:
            done.set()

        signal.signal(signal.SIGINT, _on_signal)
        signal.signal(signal.SIGTERM, _on_signal)
        settings = self.w.settings
        scrape = None
        if settings.metrics_port:
            scrape = serve_metrics(self.w, settings.metrics_host, settings.metrics_port)
        self.start()
        done.wait()
        self.stop()
        if scrape is not None:
            scrape.shutdown()


def serve_metrics(w: Wiring, host: str, port: int) -> ThreadingHTTPServer:
    """A worker has no API to put /metrics on: this thread serves it for Prometheus."""

    class _Metrics(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if self.path != "/metrics":
                self.send_error(404)
                return
            body = w.metrics.render()
            self.send_response(200)
            self.send_header("Content-Type", CONTENT_TYPE_LATEST)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            """Scrapes are not worth a log line each."""

    server = ThreadingHTTPServer((host, port), _Metrics)
    threading.Thread(target=server.serve_forever, name="streambet-metrics", daemon=True).start()
    return server
