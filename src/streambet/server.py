"""gunicorn, embedded: `streambet serve` needs no separate config file.

With the embedded queue consumer on (the default), one gunicorn worker process runs the
consumer threads beside its request threads: the first worker to take the consumer lock
in data_dir, so there is exactly one whatever `--workers` says; a worker that replaces a
dead one takes the lock over. The consumer stops, handing running jobs back to the queue,
when its worker exits.

WebSockets do not hold request threads: the upgrade view hands each connection to an
asyncio hub thread in its worker (streambet/api/sockets/hub.py). Every open socket is a file
descriptor, so `serve` raises the soft RLIMIT_NOFILE to the hard limit before the workers
fork (they inherit it); the hub refuses sockets past three quarters of it.
"""

from __future__ import annotations

import os
import resource
import shutil
import sys
from pathlib import Path
from typing import Any

from gunicorn.app.base import BaseApplication

# Request threads per worker (WebSockets do not use them). More threads cost the API
# nothing: bench/betting.py measured 2 workers x 64 threads at 859 wagers/s against 801
# with 4 (wagers are group-committed, so more concurrent requests make bigger batches).
DEFAULT_THREADS = 64


class _Gunicorn(BaseApplication):  # type: ignore[misc]
    def __init__(self, options: dict[str, Any]) -> None:
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self) -> Any:
        from streambet import create_app

        return create_app()


def _post_worker_init(worker: Any) -> None:
    from streambet import tracing
    from streambet.adapters.queue import ConsumerLock
    from streambet.worker import Worker

    wiring = worker.wsgi.extensions["streambet"]
    # per worker process: an exporter's thread does not survive the fork
    tracing.configure("streambet-web", wiring.settings.otlp_endpoint)
    if not wiring.settings.embedded_worker:
        return
    lock = ConsumerLock(wiring.settings.data_dir)
    if not lock.acquire():
        return
    consumer = Worker(wiring)
    consumer.start()
    worker.streambet_consumer = (consumer, lock)


def _worker_exit(_server: Any, worker: Any) -> None:
    running = getattr(worker, "streambet_consumer", None)
    if running is not None:
        consumer, lock = running
        consumer.stop()
        lock.release()
    app = getattr(worker, "wsgi", None)
    if app is not None:  # says goodbye (1012) to the open WebSockets, finishes wager batches
        app.extensions["streambet"].close()
    from streambet import tracing

    tracing.shutdown()  # sends the spans still batched


def raise_descriptor_limit() -> int:
    """Raises the soft limit on open files to the hard limit (an unlimited hard limit is
    taken as 2**20, which Linux accepts); returns the soft limit in force."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = hard if hard != resource.RLIM_INFINITY else 1 << 20
    if soft == resource.RLIM_INFINITY or soft >= target:
        return soft
    try:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
    except (ValueError, OSError):
        return soft
    return target


def _json_errors() -> None:
    """gunicorn answers what it refuses before the app sees it (a malformed request line,
    headers over its limits) with an HTML page, and names itself in every Server header.
    Both are module-level in gunicorn: its refusals are written in the app's JSON error
    envelope instead, and the Server header says only "StreamBet"."""
    import json

    from gunicorn import util
    from gunicorn.http import wsgi

    def write_error(sock: Any, status_int: int, reason: str, mesg: str) -> None:
        code = reason.lower().replace(" ", "_") or "bad_request"
        body = json.dumps({"error": {"code": code, "message": mesg or reason, "details": None}})
        head = (
            f"HTTP/1.1 {status_int} {reason}\r\nConnection: close\r\n"
            "Content-Type: application/json\r\nX-Content-Type-Options: nosniff\r\n"
            f"Server: StreamBet\r\nContent-Length: {len(body)}\r\n\r\n"
        )
        util.write_nonblock(sock, (head + body).encode("latin-1"))

    util.write_error = write_error
    wsgi.SERVER = "StreamBet"


def _share_metrics(folder: Path) -> None:
    """Workers write their counters to files here (prometheus_client's multiprocess mode),
    emptied at each start; set before any worker imports prometheus_client. A folder the
    operator chose through PROMETHEUS_MULTIPROC_DIR is used as it is. (streambet.metrics
    is not imported here: prometheus_client reads the variable once, at import, and the
    workers inherit this process's modules.)"""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        return
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(folder)


def serve(host: str, port: int, workers: int = 1, threads: int = DEFAULT_THREADS) -> int:
    from streambet.config import load_settings
    from streambet.logs import configure_logging, logging_config

    settings = load_settings()
    level = settings.log_level
    configure_logging(level)
    descriptors = raise_descriptor_limit()
    if descriptors != resource.RLIM_INFINITY and descriptors * 3 // 4 < settings.ws_max_sockets:
        print(
            f"warning: the open-file limit ({descriptors}) allows about {descriptors * 3 // 4}"
            f" WebSockets per worker, not STREAMBET_WS_MAX_SOCKETS={settings.ws_max_sockets};"
            " raise the hard limit (ulimit -Hn, systemd LimitNOFILE=)",
            file=sys.stderr,
            flush=True,
        )
    if workers > 1:
        _share_metrics(settings.data_dir / "metrics")
    if workers > 1 and settings.events_backend == "memory":
        print(
            "warning: with more than one worker the in-process event bus reaches only the"
            " WebSockets of the worker that published; set STREAMBET_EVENTS_BACKEND=redis",
            file=sys.stderr,
            flush=True,
        )
    _json_errors()
    print(f"StreamBet is running at http://{host}:{port}/", flush=True)
    _Gunicorn(
        {
            "bind": f"{host}:{port}",
            "workers": workers,
            "threads": threads,
            "worker_class": "gthread",
            "timeout": 120,
            # gunicorn's largest; the app refuses URLs over 4 KB itself, in its envelope
            "limit_request_line": 8190,
            "graceful_timeout": 30,
            "accesslog": None,
            "logconfig_dict": logging_config(level),
            "control_socket_disable": True,
            # one listening socket per worker: the kernel spreads new connections across
            # them, where a shared socket let one worker take most keep-alive clients
            "reuse_port": workers > 1,
            "post_worker_init": _post_worker_init,
            "worker_exit": _worker_exit,
        }
    ).run()
    return 0
