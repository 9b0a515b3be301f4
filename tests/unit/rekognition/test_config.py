"""RekognitionConfig from STREAMBET_* settings, and the mistakes it refuses at start."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from streambet.adapters.engines import backend_config
from streambet.config import ConfigError, load_settings
from streambet.vision.backends import load_backend
from streambet.vision.backends.rekognition.config import RekognitionConfig
from streambet.vision.backends.rekognition.engine import RekognitionEngine
from streambet.vision.backends.rekognition.errors import RekognitionConfigError


def test_settings_flow_into_the_engine_through_the_registry() -> None:
    settings = load_settings(
        {
            "analysis_backend": "rekognition",
            "s3_bucket": "videos",
            "s3_prefix": "sb/",
            "rekognition_deadline_seconds": "90",
            "rekognition_keep_objects": "true",
            "rekognition_max_jobs": "3",
        },
        environ={},
    )
    engine = load_backend("rekognition", backend_config(settings, "rekognition"))
    assert isinstance(engine, RekognitionEngine)
    cfg = engine.config
    assert (cfg.bucket, cfg.prefix, cfg.deadline_seconds) == ("videos", "sb/", 90.0)
    assert cfg.keep_objects is True and cfg.max_jobs == 3
    # A config built by hand needs no settings at all.
    assert RekognitionEngine(replace(cfg, bucket="other")).config.bucket == "other"


def test_the_rekognition_backend_needs_a_bucket_at_start() -> None:
    with pytest.raises(ConfigError, match="STREAMBET_S3_BUCKET"):
        load_settings({"analysis_backend": "rekognition"}, environ={})


@pytest.mark.parametrize(
    ("overrides", "words"),
    [
        ({"bucket": ""}, "STREAMBET_S3_BUCKET"),
        ({"prefix": "no-slash"}, "must end with '/'"),
        ({"deadline_seconds": 0}, "DEADLINE"),
        ({"max_jobs": 0}, "MAX_JOBS"),
        ({"sns_topic_arn": "arn:aws:sns:eu-west-1:1:t"}, "ROLE_ARN"),
        ({"sqs_queue_url": "https://sqs/q"}, "SNS topic"),
        ({"multipart_chunksize": 1024}, "5 MiB"),
    ],
)
def test_bad_settings_are_refused_with_the_variable_named(
    overrides: dict[str, Any], words: str
) -> None:
    with pytest.raises(RekognitionConfigError, match=words):
        RekognitionEngine(replace(RekognitionConfig(bucket="videos"), **overrides))


def test_no_region_anywhere_is_a_clear_error(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Any
) -> None:
    for name in ("AWS_REGION", "AWS_DEFAULT_REGION", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    engine = RekognitionEngine(RekognitionConfig(bucket="videos"))
    with pytest.raises(RekognitionConfigError, match="REGION"):
        _ = engine.rekognition
