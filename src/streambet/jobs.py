"""The job queue (Huey) and its consumer.

Huey is built from settings: SQLite in data_dir (embedded default), Redis, or in-memory
immediate mode for tests (a task runs inside `enqueue`). Tasks carry ids only; a job's
state lives in its database row (services/analysis_runs.py), which is what makes jobs durable:
a task lost with a killed process is queued again when its lease lapses.

The consumer is our own small loop over `huey.dequeue()`/`huey.execute()` rather than
Huey's Consumer, because it must run as threads inside a gunicorn worker (Huey's installs
signal handlers, which only the main thread may do) and stop cleanly on demand.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import signal
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from huey import Huey, MemoryHuey, RedisHuey, SqliteHuey

from streambet.config import Settings
from streambet.logs import request_context

if TYPE_CHECKING:
    from streambet.wiring import Wiring

log = logging.getLogger(__name__)
ORPHAN_SWEEP_SECONDS = 15 * 60  # services/orphans.py: storage a crash left behind


def make_huey(settings: Settings) -> Huey:
    if settings.queue_backend == "memory":
        return MemoryHuey(settings.queue_name, results=False, immediate=True)
    if settings.queue_backend == "redis":
        return RedisHuey(settings.queue_name, results=False, url=settings.redis_url)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    return SqliteHuey(
        settings.queue_name, results=False, filename=str(settings.data_dir / "queue.db")
    )


class JobQueue:
    """The tasks of one wiring, registered on its own Huey instance."""

    def __init__(self, wiring: Wiring) -> None:
        self.huey = make_huey(wiring.settings)
        # Set when a consumer stops: running analyses hand their job back to the queue.
        self.stopping = threading.Event()
        # Set on every enqueue, so an idle in-process consumer starts at once.
        self.wakeup = threading.Event()

        def run_analysis(analysis_id: str, *, request_id: str = "") -> None:
            from streambet.services import analysis_runs

            with request_context(request_id):
                analysis_runs.run(wiring, analysis_id, interrupt=self.stopping)

        self._wiring = wiring
        self._tasks: dict[str, Any] = {
            "run_analysis": self.huey.task(name="run_analysis")(run_analysis)
        }

    def add_task(self, name: str, body: Callable[..., None]) -> None:
        """Registers another task: `body(wiring, *ids)`, run with the request id of whoever
        queued it. Tasks take ids (str/int), never objects, and must be safe to run twice."""
        wiring = self._wiring

        def task(*args: str | int, request_id: str = "") -> None:
            with request_context(request_id):
                body(wiring, *args)

        task.__name__ = name
        self._tasks[name] = self.huey.task(name=name)(task)

    def enqueue(self, name: str, *args: str | int, request_id: str = "") -> None:
        self._tasks[name](*args, request_id=request_id)
        self.wakeup.set()

    def enqueue_analysis(self, analysis_id: str, request_id: str = "") -> None:
        self.enqueue("run_analysis", analysis_id, request_id=request_id)

    def depth(self) -> int:
        return int(self.huey.pending_count())

    def pending_analysis_ids(self) -> set[str]:
        ids = set()
        for task in self.huey.pending():
            if task.name == "run_analysis" and task.args:
                ids.add(str(task.args[0]))
        return ids

    def check(self) -> None:
        self.huey.pending_count()


class Consumer:
    """Worker threads that run queued tasks, plus a sweeper that re-queues lapsed jobs."""

    def __init__(self, wiring: Wiring, workers: int | None = None) -> None:
        self.wiring = wiring
        self.queue = wiring.queue
        self.workers = workers or wiring.settings.queue_workers
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []

    def start(self) -> None:
        from streambet.services import analysis_runs

        self.queue.stopping.clear()
        self._stop.clear()
        # Jobs whose queue entry was lost (e.g. the queue store was wiped) go back in.
        analysis_runs.requeue_missing(self.wiring, self.queue.pending_analysis_ids())
        for i in range(self.workers):
            self._spawn(self._work, f"streambet-worker-{i}")
        self._spawn(self._sweep, "streambet-sweeper")
        if self.wiring.settings.betting_sweep_seconds > 0:
            self._spawn(self._sweep_betting, "streambet-betting")
        log.info("queue consumer started", extra={"workers": self.workers})

    def _spawn(self, target: Any, name: str) -> None:
        thread = threading.Thread(target=target, name=name, daemon=True)
        thread.start()
        self._threads.append(thread)

    def _work(self) -> None:
        huey = self.queue.huey
        while not self._stop.is_set():
            try:
                task = huey.dequeue()
            except Exception:
                log.exception("could not read the job queue")
                self._stop.wait(1.0)
                continue
            if task is None:
                if not huey.storage.blocking:
                    self.queue.wakeup.wait(0.5)
                    self.queue.wakeup.clear()
                continue
            try:
                huey.execute(task)
            except Exception:  # a task's own errors are recorded on its row; this is a bug
                log.exception("task crashed", extra={"task": task.name})

    def _sweep(self) -> None:
        from streambet.services import analysis_runs, orphans

        interval = max(0.5, self.wiring.settings.job_lease_seconds / 3)
        orphans_due = time.monotonic()  # at start: a crash is what leaves orphans
        while not self._stop.wait(interval):
            try:
                analysis_runs.requeue_expired(self.wiring)
            except Exception:
                log.exception("sweeper failed")
            if time.monotonic() >= orphans_due:
                orphans_due = time.monotonic() + ORPHAN_SWEEP_SECONDS
                try:
                    orphans.sweep_orphans(self.wiring)
                except Exception:
                    log.exception("orphan sweep failed")

    def _sweep_betting(self) -> None:
        """Markets move on without anyone watching: due markets lock, locked markets settle
        once their analysis is stored, settled markets pay when the dispute window closes.
        Each step is its own transaction and safe to run on several workers at once."""
        while not self._stop.wait(self.wiring.settings.betting_sweep_seconds):
            try:
                self.wiring.sweep_betting()
            except Exception:
                log.exception("betting sweep failed")

    def stop(self, timeout: float = 30.0) -> None:
        """Running analyses are interrupted and handed back to the queue, so they resume
        on the next start instead of waiting for their lease to lapse."""
        self.queue.stopping.set()
        self._stop.set()
        self.queue.wakeup.set()
        for thread in self._threads:
            thread.join(timeout)
        self._threads.clear()
        log.info("queue consumer stopped")

    def run_forever(self) -> None:
        """For `streambet worker`: runs until SIGINT/SIGTERM, then stops cleanly."""
        done = threading.Event()

        def _on_signal(signum: int, _frame: object) -> None:
            done.set()

        signal.signal(signal.SIGINT, _on_signal)
        signal.signal(signal.SIGTERM, _on_signal)
        self.start()
        done.wait()
        self.stop()


class ConsumerLock:
    """One embedded consumer per data directory, whatever the number of gunicorn workers:
    the first to take this lock runs it. The OS drops the lock when its process dies, even
    on kill -9."""

    def __init__(self, data_dir: Path) -> None:
        self.path = data_dir / "consumer.lock"
        self._fh: IO[str] | None = None

    def acquire(self) -> bool:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fh = self.path.open("a")
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            fh.close()
            return False
        self._fh = fh
        return True

    def release(self) -> None:
        if self._fh is not None:
            with contextlib.suppress(OSError):
                fcntl.flock(self._fh, fcntl.LOCK_UN)
            self._fh.close()
            self._fh = None
