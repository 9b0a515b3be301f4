"""The backend registry: every entry names a factory and a typed config whose settings
exist, the app builds configs without naming a backend, and old untyped job options map
onto the typed AnalysisOptions."""

from __future__ import annotations

import dataclasses
import subprocess
import sys
from pathlib import Path
from typing import get_args

import pytest

from streambet.adapters.engines import backend_config, read_setting
from streambet.config import load_settings
from streambet.services.analysis_runs import RunPolicy, engine_options
from streambet.vision.backends import (
    REGISTRY,
    AnalysisOptions,
    BackendName,
    Features,
    ScriptedLabel,
    config_class,
    load_backend,
    settings_of,
)


def test_the_backend_name_type_lists_the_registry() -> None:
    assert set(get_args(BackendName)) == set(REGISTRY)


@pytest.mark.parametrize("name", sorted(REGISTRY))
def test_every_config_is_built_from_settings_that_exist(name: str) -> None:
    settings = load_settings({"s3_bucket": "videos", "data_dir": "/data"}, environ={})

    config = backend_config(settings, name)

    cls = config_class(name)
    assert isinstance(config, cls) and dataclasses.is_dataclass(cls)
    assert cls.__dataclass_params__.frozen  # type: ignore[attr-defined]
    for field, setting in settings_of(cls).items():
        assert getattr(config, field) == read_setting(settings, setting)


def test_settings_reach_the_configs_they_are_marked_for() -> None:
    settings = load_settings(
        {"s3_bucket": "videos", "rekognition_region": "eu-west-1", "model_dir": "/m"}, environ={}
    )
    assert backend_config(settings, "local").model_dir == Path("/m")
    rekognition = backend_config(settings, "rekognition")
    assert (rekognition.bucket, rekognition.region) == ("videos", "eu-west-1")
    assert settings_of(config_class("rekognition"))["region"] == "rekognition.region"


def test_load_backend_builds_from_the_config_and_refuses_another() -> None:
    fake = load_backend("fake", config_class("fake")())
    assert fake.name == "fake"
    with pytest.raises(TypeError, match="FakeConfig"):
        load_backend("fake", config_class("local")(Path("/m")))
    with pytest.raises(ValueError, match="unknown analysis backend 'nope'"):
        config_class("nope")


def test_importing_the_port_loads_no_engine_library() -> None:
    code = (
        "import sys; import streambet.vision.backends as b;"
        " b.config_class('local'); b.config_class('rekognition');"
        " heavy = {'onnxruntime', 'boto3', 'av', 'mediapipe', 'faster_whisper'} & set(sys.modules);"
        " print(sorted(heavy))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


def _engine_options(stored: dict[str, object]) -> AnalysisOptions:
    return engine_options(RunPolicy(), stored)


def test_old_untyped_extra_keys_map_onto_typed_options() -> None:
    options = _engine_options(
        {
            "min_confidence": 30,
            "extra": {
                "speech": False,
                "pose": False,
                "job_id": "a1",
                "job_tag": "tag",
                "aggregate_by": "segments",
                "rekognition_attempt": 2,
                "fake_labels": [{"name": "Cat", "start_ms": 0, "end_ms": 900}],
                "fake_sleep_ms": 40,
                "rekognition_raw_path": "/etc/passwd",  # a server path: never from a job
            },
        }
    )

    assert options.features == Features(pose=False, audio=True, speech=False)
    assert (options.job_id, options.job_tag, options.aggregate_by) == ("a1", "tag", "SEGMENTS")
    assert options.rekognition_attempt == 2 and options.rekognition_raw_path is None
    assert options.fake_labels == (ScriptedLabel("Cat", 0, 900, 90.0),)
    assert options.fake_sleep_ms == 40 and options.min_confidence == 30


def test_stored_options_without_extra_get_the_defaults() -> None:
    options = _engine_options({})
    assert options.features == Features() and options.fake_labels == ()
    assert options.sample_fps == 2.0 and options.aggregate_by == "TIMESTAMPS"
    assert _engine_options({"features": {"audio": False}}).features.audio is False
