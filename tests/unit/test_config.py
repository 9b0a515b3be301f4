from __future__ import annotations

from pathlib import Path

import pytest

from streambet.config import DEV_SECRET_KEY, ConfigError, load_settings


def test_defaults_are_the_embedded_setup() -> None:
    s = load_settings(environ={})
    assert s.env == "development"
    assert s.queue_backend == "sqlite"
    assert s.storage_backend == "local"
    assert s.max_upload_bytes == 100 * 1024 * 1024
    assert s.resolved_database_url.startswith("sqlite:///")
    assert s.resolved_storage_dir == Path("var/storage")
    assert s.compat_mode


def test_environment_variables_are_typed() -> None:
    s = load_settings(environ={"STREAMBET_MAX_UPLOAD_MB": "5", "STREAMBET_SAMPLE_FPS": "4.5"})
    assert s.max_upload_mb == 5
    assert s.sample_fps == 4.5


def test_overrides_beat_the_environment() -> None:
    s = load_settings({"max_upload_mb": 7}, environ={"STREAMBET_MAX_UPLOAD_MB": "5"})
    assert s.max_upload_mb == 7


@pytest.mark.parametrize(
    ("environ", "needle"),
    [
        ({"STREAMBET_MAX_UPLOAD_MB": "lots"}, "STREAMBET_MAX_UPLOAD_MB='lots'"),
        ({"STREAMBET_ENV": "staging"}, "STREAMBET_ENV"),
        ({"STREAMBET_QUEUE_BACKEND": "redis"}, "STREAMBET_REDIS_URL"),
        ({"STREAMBET_STORAGE_BACKEND": "s3"}, "STREAMBET_S3_BUCKET"),
        ({"STREAMBET_MAX_UPLOAD_MB": "0"}, "must be positive"),
        ({"STREAMBET_AUTO_SETTLE_CONFIDENCE": "40"}, "confidence bands"),
    ],
)
def test_bad_values_fail_with_the_variable_named(environ: dict[str, str], needle: str) -> None:
    with pytest.raises(ConfigError, match=needle):
        load_settings(environ=environ)


def test_production_refuses_the_default_secret() -> None:
    with pytest.raises(ConfigError, match="STREAMBET_SECRET_KEY"):
        load_settings(environ={"STREAMBET_ENV": "production"})
    s = load_settings(environ={"STREAMBET_ENV": "production", "STREAMBET_SECRET_KEY": "x" * 32})
    assert s.secret_key != DEV_SECRET_KEY
    assert not s.compat_mode
