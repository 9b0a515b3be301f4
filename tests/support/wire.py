"""What crosses the wire to PostgreSQL: libpq's own protocol trace of every connection an
engine's pool hands out, so a test can count round trips (BEGIN and COMMIT included, which
SQLAlchemy's statement events never see)."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import psycopg
from sqlalchemy import Engine, event


@dataclass
class Wire:
    lines: list[str] = field(default_factory=list)

    @property
    def round_trips(self) -> int:
        """Each answer the client waited for ends with the server's ReadyForQuery."""
        return sum(1 for line in self.lines if "\tReadyForQuery\t" in line)

    @property
    def statements(self) -> int:
        """Statements executed: a simple Query, or a Bind (prepared or not) each."""
        return sum(
            1
            for line in self.lines
            if line.startswith(("F\t", "F ")) and _kind(line) in ("Query", "Bind")
        )

    def mentions(self, text: str) -> bool:
        return any(text in line for line in self.lines if line.startswith("F"))


def _kind(line: str) -> str:
    parts = line.split("\t")
    return parts[2] if len(parts) > 2 else ""


@contextmanager
def traced(engine: Engine) -> Iterator[Wire]:
    """Traces the connections checked out of `engine`'s pool inside the block."""
    wire = Wire()
    flags = psycopg.pq.Trace.SUPPRESS_TIMESTAMPS | psycopg.pq.Trace.REGRESS_MODE
    with tempfile.TemporaryFile() as out:

        def on_checkout(dbapi_conn: Any, _record: Any, _proxy: Any) -> None:
            dbapi_conn.pgconn.trace(out.fileno())
            dbapi_conn.pgconn.set_trace_flags(flags)

        def on_checkin(dbapi_conn: Any, _record: Any) -> None:
            if dbapi_conn is not None:
                dbapi_conn.pgconn.untrace()

        event.listen(engine.pool, "checkout", on_checkout)
        event.listen(engine.pool, "checkin", on_checkin)
        try:
            yield wire
        finally:
            event.remove(engine.pool, "checkout", on_checkout)
            event.remove(engine.pool, "checkin", on_checkin)
            out.seek(0)
            wire.lines[:] = out.read().decode(errors="replace").splitlines()
