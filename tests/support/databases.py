"""Test databases: a fresh SQLite file per test, and on PostgreSQL (when
STREAMBET_TEST_DATABASE_URL is set) a fresh database per test cloned from a migrated
template, so every test starts from an empty, fully migrated schema."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from streambet.adapters.db import create_database
from streambet.adapters.migrate import upgrade

PG_ENV = "STREAMBET_TEST_DATABASE_URL"
_template: str | None = None


def pg_admin_url() -> str | None:
    return os.environ.get(PG_ENV) or None


def _admin_exec(sql: str) -> None:
    url = pg_admin_url()
    assert url is not None
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            conn.execute(text(sql))
    finally:
        engine.dispose()


def _migrated_template() -> str:
    global _template
    if _template is None:
        name = f"sbtpl_{os.getpid()}_{uuid.uuid4().hex[:8]}"
        _admin_exec(f'CREATE DATABASE "{name}"')
        db = create_database(_url_for(name))
        try:
            upgrade(db)
        finally:
            db.dispose()
        _template = name
    return _template


def _url_for(name: str) -> str:
    url = pg_admin_url()
    assert url is not None
    return make_url(url).set(database=name).render_as_string(hide_password=False)


@contextmanager
def postgres_database() -> Iterator[str]:
    template = _migrated_template()
    name = f"sbtest_{uuid.uuid4().hex[:12]}"
    _admin_exec(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
    try:
        yield _url_for(name)
    finally:
        _admin_exec(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def drop_template() -> None:
    global _template
    if _template is not None and pg_admin_url():
        _admin_exec(f'DROP DATABASE IF EXISTS "{_template}" WITH (FORCE)')
        _template = None


@contextmanager
def sqlite_database(directory: Path) -> Iterator[str]:
    url = f"sqlite:///{directory / 'test.db'}"
    db = create_database(url)
    try:
        upgrade(db)
    finally:
        db.dispose()
    yield url
