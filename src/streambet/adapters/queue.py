"""The job queue (Huey): tasks registered by name, queued with ids, run by consumer threads.

Huey is SQLite in data_dir (the embedded default), Redis, or in-memory immediate mode
for tests (a task runs inside `enqueue`). Tasks carry ids only; a job's
state lives in its database row, which is what makes jobs durable: a task lost with a
killed process is queued again when its lease lapses. This module knows no use case:
streambet.worker registers the tasks and runs the consumer.

The consumer is our own small loop over `huey.dequeue()`/`huey.execute()` rather than
Huey's Consumer, because it must run as threads inside a gunicorn worker (Huey's installs
signal handlers, which only the main thread may do) and stop cleanly on demand.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import threading
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

from huey import Huey, MemoryHuey, RedisHuey, SqliteHuey
from opentelemetry.trace import SpanKind

from streambet import tracing
from streambet.logs import request_context

log = logging.getLogger(__name__)


def make_huey(backend: str, name: str, *, redis_url: str = "", data_dir: Path) -> Huey:
    """`backend`: sqlite (a file in data_dir), redis, or memory (tests: a task runs inside
    `enqueue`)."""
    if backend == "memory":
        return MemoryHuey(name, results=False, immediate=True)
    if backend == "redis":
        return RedisHuey(name, results=False, url=redis_url)
    data_dir.mkdir(parents=True, exist_ok=True)
    return SqliteHuey(name, results=False, filename=str(data_dir / "queue.db"))


class JobQueue:
    """Named tasks on one Huey instance. A task body takes ids (str/int), never objects,
    must be safe to run twice, and runs with the request id of whoever queued it."""

    def __init__(self, huey: Huey) -> None:
        self.huey = huey
        # Set when a consumer stops: running tasks hand their job back to the queue.
        self.stopping = threading.Event()
        # Set on every enqueue, so an idle in-process consumer starts at once.
        self.wakeup = threading.Event()
        self._tasks: dict[str, Any] = {}

    def register(self, name: str, body: Callable[..., None]) -> None:
        def task(*args: str | int, request_id: str = "") -> None:
            # the worker's side of the request's trace (streambet/tracing.py)
            attributes = {"messaging.operation": "process", "streambet.job": str(args[0])}
            with (
                request_context(request_id),
                tracing.span(f"job {name}", request_id, SpanKind.CONSUMER, attributes),
            ):
                body(*args)

        task.__name__ = name
        self._tasks[name] = self.huey.task(name=name)(task)

    def enqueue(self, name: str, *args: str | int, request_id: str = "") -> None:
        try:
            task = self._tasks[name]
        except KeyError:
            raise LookupError(f"no task {name!r} is registered on this queue") from None
        with tracing.span(f"enqueue {name}", request_id, SpanKind.PRODUCER):
            task(*args, request_id=request_id)
        self.wakeup.set()

    def depth(self) -> int:
        return int(self.huey.pending_count())

    def pending(self, name: str) -> set[str]:
        """The first argument (the id) of every queued task called `name`."""
        return {str(t.args[0]) for t in self.huey.pending() if t.name == name and t.args}

    def check(self) -> None:
        self.huey.pending_count()


class QueueConsumer:
    """Threads that take tasks off the queue and run them, until stopped."""

    def __init__(self, queue: JobQueue, workers: int) -> None:
        self.queue = queue
        self.workers = workers
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []

    def start(self) -> None:
        self._stop.clear()
        for i in range(self.workers):
            thread = threading.Thread(target=self._work, name=f"streambet-worker-{i}", daemon=True)
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

    def stop(self, timeout: float = 30.0) -> None:
        self._stop.set()
        self.queue.wakeup.set()
        for thread in self._threads:
            thread.join(timeout)
        self._threads.clear()


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
