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


def test_an_unknown_variable_is_refused_with_its_name() -> None:
    with pytest.raises(ConfigError, match="STREAMBET_MAX_UPLOADS_MB"):
        load_settings(environ={"STREAMBET_MAX_UPLOADS_MB": "5"})
    with pytest.raises(ConfigError, match="STREAMBET_REKOGNITION_REGIONN"):
        load_settings(environ={"STREAMBET_REKOGNITION_REGIONN": "eu-west-1"})
    # The test suite's own variables are not settings, and are left alone.
    s = load_settings(
        environ={"STREAMBET_TEST_DATABASE_URL": "postgresql://x", "STREAMBET_CHROMIUM": "/c"}
    )
    assert s.env == "development"


def test_an_unknown_override_key_is_refused_with_its_name() -> None:
    with pytest.raises(ConfigError, match="'max_uploads_mb'"):
        load_settings({"max_uploads_mb": 5}, environ={})


def test_rekognition_settings_are_nested_under_their_flat_variable_names() -> None:
    s = load_settings(
        {"rekognition_max_jobs": "3"},
        environ={
            "STREAMBET_REKOGNITION_REGION": "eu-west-1",
            "STREAMBET_REKOGNITION_KEEP_OBJECTS": "1",
        },
    )
    assert (s.rekognition.region, s.rekognition.max_jobs) == ("eu-west-1", 3)
    assert s.rekognition.keep_objects is True
    with pytest.raises(ConfigError, match="STREAMBET_REKOGNITION_MAX_JOBS must be positive"):
        load_settings(environ={"STREAMBET_REKOGNITION_MAX_JOBS": "0"})


def test_analysis_backends_are_the_registrys() -> None:
    from streambet.vision.backends import REGISTRY

    for name in REGISTRY:
        assert load_settings({"analysis_backend": name, "s3_bucket": "b"}, environ={})
    with pytest.raises(ConfigError, match="STREAMBET_ANALYSIS_BACKEND='magic': expected one of"):
        load_settings(environ={"STREAMBET_ANALYSIS_BACKEND": "magic"})
