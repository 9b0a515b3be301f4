"""Database engine and sessions for SQLite (embedded default) and PostgreSQL.

SQLite runs in WAL mode with a busy timeout. Write units of work begin with
`BEGIN IMMEDIATE` so two writers serialise at the start of a transaction instead of one
failing with "database is locked" when it upgrades a read lock halfway through. Before
that, writers queue on a lock of our own (`WriterLock`) that spans threads and processes.
"""

from __future__ import annotations

import fcntl
import os
import sqlite3
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker


@dataclass
class Database:
    engine: Engine
    read_engine: Engine  # the engine itself, or on PostgreSQL the same pool in autocommit
    read_sessions: sessionmaker[Session]
    write_sessions: sessionmaker[Session]

    @property
    def is_sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite"

    def one_statement_read(self) -> Connection:
        """A pooled connection for a single read statement (on PostgreSQL without a
        transaction, as read sessions are)."""
        return self.read_engine.connect()

    def dispose(self) -> None:
        self.engine.dispose()


_HOLDS_LOCK = "streambet_write_lock"


class WriterLock:
    """One SQLite writer at a time across the threads of this process (a mutex) and across
    processes (flock on a file beside the database, e.g. several gunicorn workers).

    SQLite's own busy handler sleeps and retries with growing back-off, which under many
    writers turns a few ms of waiting into seconds of tail latency; a blocked flock wakes
    the moment the holder lets go, and the kernel releases it if the holder dies. Only one
    thread per process waits in flock, the others on the mutex. The file is opened per
    process: a forked child must not share its parent's lock."""

    def __init__(self, path: Path | None) -> None:
        self._path = path
        self._mutex = threading.Lock()
        self._fd: int | None = None
        self._pid = 0

    def acquire(self, timeout: float) -> bool:
        if not self._mutex.acquire(timeout=timeout):
            return False
        if self._path is None:
            return True
        try:
            if self._pid != os.getpid():
                self._fd = os.open(self._path, os.O_RDWR | os.O_CREAT, 0o600)
                self._pid = os.getpid()
            assert self._fd is not None
            fcntl.flock(self._fd, fcntl.LOCK_EX)
        except BaseException:
            self._mutex.release()
            raise
        return True

    def release(self) -> None:
        if self._path is not None and self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
        self._mutex.release()


def _configure_sqlite(engine: Engine, lock_path: Path | None) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        # Let SQLAlchemy's "begin" event below emit BEGIN itself (pysqlite's own is lazy).
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA busy_timeout=30000")
        cur.close()

    write_lock = WriterLock(lock_path)

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        mode = conn.get_execution_options().get("sqlite_begin", "DEFERRED")
        if mode == "IMMEDIATE" and not conn.info.get(_HOLDS_LOCK):
            if not write_lock.acquire(timeout=30):
                raise sqlite3.OperationalError("database is locked (30 s waiting to write)")
            conn.info[_HOLDS_LOCK] = True
        try:
            conn.exec_driver_sql(f"BEGIN {mode}")
        except BaseException:
            _release(conn)
            raise

    def _release(conn: Any) -> None:
        if conn.info.pop(_HOLDS_LOCK, False):
            write_lock.release()

    event.listen(engine, "commit", _release)
    event.listen(engine, "rollback", _release)


def create_database(url: str, *, echo: bool = False) -> Database:
    parsed = make_url(url)
    kwargs: dict[str, Any] = {"echo": echo, "future": True}
    lock_path: Path | None = None
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
            lock_path = Path(parsed.database + "-writer.lock")
        kwargs["connect_args"] = {"check_same_thread": False, "timeout": 30}
        kwargs["pool_size"] = 20
        kwargs["max_overflow"] = 20
    else:
        # No pre-ping: it cost every checkout a round trip (1.2-1.5x the sessions/s without
        # it on this box, a one-query session; noisy, shared machine). After a
        # database restart the first statement on a dead connection fails (503, retryable)
        # and SQLAlchemy then drops every connection the pool held from before.
        # A database that does not answer fails the request fast (503), not after minutes.
        kwargs["connect_args"] = {"connect_timeout": 5}
        # Connections past pool_size are closed as they come back, so a worker busier than
        # pool_size opened a PostgreSQL backend every few dozen requests (bench/betting.py's
        # 16 clients a worker, with 10 kept: 0.03-0.06 new sessions a request). 20 kept
        # cover that; the ceiling stays 30 a process, as before.
        kwargs["pool_size"] = 20
        kwargs["max_overflow"] = 10
    engine = create_engine(url, **kwargs)
    read_engine: Engine = engine
    write_engine: Engine = engine
    if engine.dialect.name == "sqlite":
        _configure_sqlite(engine, lock_path)
        write_engine = engine.execution_options(sqlite_begin="IMMEDIATE")
    else:
        # Reads run without a transaction: under READ COMMITTED every statement takes its
        # own snapshot whether or not a transaction is open, so BEGIN and ROLLBACK bought
        # a read nothing and cost it two round trips (GET /api/me went from four to two).
        read_engine = engine.execution_options(isolation_level="AUTOCOMMIT")
    return Database(
        engine=engine,
        read_engine=read_engine,
        read_sessions=sessionmaker(bind=read_engine, expire_on_commit=False),
        write_sessions=sessionmaker(bind=write_engine, expire_on_commit=False),
    )
