"""A real HTTP server on a free loopback port, on a thread of its own, for tests that need
one to read from (a folder of media, a live HLS writer's folder, an OTLP receiver)."""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from http.server import BaseHTTPRequestHandler, SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any


class QuietFiles(SimpleHTTPRequestHandler):
    """Serves a folder's files without logging each request to stderr."""

    def log_message(self, format: str, *args: Any) -> None:
        pass


@contextmanager
def serving(
    handler: Callable[..., BaseHTTPRequestHandler], **attributes: Any
) -> Iterator[ThreadingHTTPServer]:
    """The server, answering with `handler`; `attributes` are set on it first (what its
    handlers record into or read, as `self.server.NAME`)."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    for name, value in attributes.items():
        setattr(server, name, value)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        thread.join()
        server.server_close()


def serving_folder(
    folder: Path, handler: type[SimpleHTTPRequestHandler] = QuietFiles, **attributes: Any
) -> AbstractContextManager[ThreadingHTTPServer]:
    """`serving` the files of `folder` (with `handler`, a SimpleHTTPRequestHandler)."""
    return serving(functools.partial(handler, directory=str(folder)), **attributes)
