"""Shared fixtures. `app` runs on SQLite; `any_db_app` runs each test on SQLite and, when
STREAMBET_TEST_DATABASE_URL is set, on PostgreSQL as well."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from streambet import create_app
from tests.support import databases

BACKENDS = ["sqlite", "postgresql"]


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    databases.drop_template()


@pytest.fixture
def base_config(tmp_path: Path) -> dict[str, Any]:
    """Settings for an isolated app: everything it writes stays under tmp_path."""
    return {
        "env": "test",
        "data_dir": str(tmp_path / "var"),
        "queue_backend": "memory",
        "embedded_worker": False,
        "analysis_backend": "fake",
    }


@pytest.fixture
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    backend = getattr(request, "param", "sqlite")
    if backend == "postgresql":
        if not databases.pg_admin_url():
            pytest.skip(f"PostgreSQL variant: set {databases.PG_ENV} to run it")
        with databases.postgres_database() as url:
            yield url
    else:
        with databases.sqlite_database(tmp_path) as url:
            yield url


def _make_app(config: dict[str, Any], url: str) -> Iterator[Flask]:
    app = create_app({**config, "database_url": url})
    try:
        yield app
    finally:
        app.extensions["streambet"].close()


@pytest.fixture
def app(base_config: dict[str, Any], database_url: str) -> Iterator[Flask]:
    yield from _make_app(base_config, database_url)


@pytest.fixture(params=BACKENDS)
def any_db_app(
    request: pytest.FixtureRequest, base_config: dict[str, Any], tmp_path: Path
) -> Iterator[Flask]:
    if request.param == "postgresql":
        if not databases.pg_admin_url():
            pytest.skip(f"PostgreSQL variant: set {databases.PG_ENV} to run it")
        with databases.postgres_database() as url:
            yield from _make_app(base_config, url)
    else:
        with databases.sqlite_database(tmp_path) as url:
            yield from _make_app(base_config, url)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture(scope="session")
def tiny_clip(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    """A 1 s MP4 (a black picture) for tests that need an upload but not its content."""
    from tests.support.clips import make_clip

    path = tmp_path_factory.mktemp("tiny") / "tiny.mp4"
    return make_clip(path, [("black", 1)], fps=5, size=(160, 90)).read_bytes()
