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
import signal
import threading
import time
from collections.abc import Callable
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from prometheus_client import CONTENT_TYPE_LATEST

from streambet.adapters.queue import QueueConsumer
from streambet.services import analysis_runs, orphans, sweeper
from streambet.services.analyses import RUN_TASK
from streambet.services.orphans import GRACE
from streambet.services.sweeper import SweepReport
from streambet.wiring import Wiring

log = logging.getLogger(__name__)
ORPHAN_SWEEP_SECONDS = 15 * 60  # services/orphans.py: storage a crash left behind


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

    def start(self) -> None:
        self.queue.stopping.clear()
        self._stop.clear()
        # Jobs whose queue entry was lost (e.g. the queue store was wiped) go back in.
        analysis_runs.requeue_missing(self.w.runner, self.queue.pending(RUN_TASK))
        self._consumer.start()
        self._spawn(self._sweep_jobs, "streambet-sweeper")
        if self.w.settings.betting_sweep_seconds > 0:
            self._spawn(self._sweep_betting, "streambet-betting")
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

    def stop(self, timeout: float = 30.0) -> None:
        """Running analyses are interrupted and handed back to the queue, so they resume
        on the next start instead of waiting for their lease to lapse."""
        self.queue.stopping.set()
        self._stop.set()
        self._consumer.stop(timeout)
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
