"""SQLite writers from several processes (gunicorn workers) queue on one writer lock, a
flock on a file beside the database, before BEGIN IMMEDIATE."""

from __future__ import annotations

import fcntl
import multiprocessing
import os
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from streambet.adapters.db import create_database

INCREMENTS = 150


def _increment(url: str, n: int) -> None:
    db = create_database(url)
    try:
        for _ in range(n):
            # read, then write from the value read: a lost update if two writers interleaved
            with db.write_sessions() as s:
                value = s.execute(text("SELECT v FROM counter WHERE id = 1")).scalar_one()
                s.execute(text("UPDATE counter SET v = :v WHERE id = 1"), {"v": value + 1})
                s.commit()
    finally:
        db.dispose()


def _hold_write(url: str, holding: Any, done: Any) -> None:
    db = create_database(url)
    with db.write_sessions() as s:
        s.execute(text("UPDATE counter SET v = v + 1 WHERE id = 1"))
        holding.set()
        done.wait(30)
        s.commit()
    db.dispose()


@pytest.fixture
def url(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'lock.db'}"
    db = create_database(url)
    with db.write_sessions() as s:
        s.execute(text("CREATE TABLE counter (id INTEGER PRIMARY KEY, v INTEGER NOT NULL)"))
        s.execute(text("INSERT INTO counter VALUES (1, 0)"))
        s.commit()
    db.dispose()
    return url


def test_writers_in_several_processes_lose_no_update(url: str) -> None:
    ctx = multiprocessing.get_context("spawn")
    procs = [ctx.Process(target=_increment, args=(url, INCREMENTS)) for _ in range(3)]
    for p in procs:
        p.start()
    _increment(url, INCREMENTS)
    for p in procs:
        p.join(120)
        assert p.exitcode == 0
    db = create_database(url)
    with db.read_sessions() as s:
        assert s.execute(text("SELECT v FROM counter")).scalar_one() == 4 * INCREMENTS
    db.dispose()


def test_an_open_write_in_another_process_holds_the_lock_file(url: str, tmp_path: Path) -> None:
    ctx = multiprocessing.get_context("spawn")
    holding, done = ctx.Event(), ctx.Event()
    child = ctx.Process(target=_hold_write, args=(url, holding, done))
    child.start()
    try:
        assert holding.wait(60)
        fd = os.open(tmp_path / "lock.db-writer.lock", os.O_RDWR)
        try:
            with pytest.raises(BlockingIOError):
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            done.set()
            child.join(60)
            assert child.exitcode == 0
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)  # free once it committed
            fcntl.flock(fd, fcntl.LOCK_UN)
        finally:
            os.close(fd)
    finally:
        done.set()
        child.join(10)
