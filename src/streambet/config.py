"""Settings from STREAMBET_* environment variables (or a mapping in tests), validated once.

Nothing here runs at import time: `load_settings()` is called by the application factory
and by the CLI, so a bad value fails at start with a message that names the variable.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, get_type_hints

DEV_SECRET_KEY = "dev-insecure-secret-key"
ENVIRONMENTS = ("development", "production", "test")


class ConfigError(ValueError):
    """A setting is missing or malformed; the message names the variable."""


@dataclass(frozen=True)
class Settings:
    env: str = "development"
    secret_key: str = DEV_SECRET_KEY
    # Everything the embedded defaults write (SQLite, queue, uploads, model cache) lives here.
    data_dir: Path = Path("var")
    database_url: str = ""  # default: SQLite in data_dir
    queue_backend: str = "sqlite"  # sqlite | redis | memory (tests: runs tasks inline)
    redis_url: str = ""
    events_backend: str = "memory"  # memory | redis
    storage_backend: str = "local"  # local | s3
    storage_dir: Path = Path()  # default: data_dir / "storage"
    s3_bucket: str = ""
    s3_endpoint_url: str = ""
    s3_prefix: str = "streambet/"
    analysis_backend: str = "local"  # local | rekognition
    model_dir: Path = Path()  # default: data_dir / "models"
    max_upload_mb: int = 100
    max_video_seconds: int = 6 * 3600
    max_video_pixels: int = 4096 * 2160
    sample_fps: float = 2.0
    queue_workers: int = 2
    embedded_worker: bool = True
    signup_credit: int = 10_000  # minor units of play money
    auto_settle_confidence: float = 80.0
    review_floor_confidence: float = 50.0
    dispute_window_seconds: int = 600
    betting_sweep_seconds: float = 2.0  # how often the consumer locks, settles and pays; 0: off
    token_ttl_hours: int = 24 * 14
    log_level: str = "INFO"
    queue_name: str = "streambet"  # Huey's queue (and Redis key prefix)
    job_lease_seconds: int = 30  # a running job whose lease lapses is queued again
    job_max_attempts: int = 3
    extra: Mapping[str, Any] = field(default_factory=dict)
    # AWS Rekognition backend (analysis_backend=rekognition); uses s3_bucket/s3_prefix too.
    rekognition_region: str = ""  # default: the AWS chain's region
    rekognition_deadline_seconds: int = 3600  # whole analysis: queue, upload, job, pages
    rekognition_sns_topic_arn: str = ""  # with role_arn + sqs_queue_url: wait by notice
    rekognition_role_arn: str = ""
    rekognition_sqs_queue_url: str = ""
    rekognition_keep_objects: bool = False  # keep the uploaded video (default: delete)
    rekognition_max_jobs: int = 20  # concurrent jobs from this process; more wait here
    rekognition_kms_key_id: str = ""  # SSE-KMS key; empty: SSE-S3 (AES256)
    # Evidence: frames kept per analysis once its upload is deleted; or keep the upload too.
    evidence_max_frames: int = 600
    keep_uploads: bool = False
    # Agreement mode: a second engine runs on every clip; settlement may require it to agree.
    second_opinion_backend: str = ""  # empty: off
    require_agreement: bool = False
    # WebSockets (/api/ws), each a cap per worker process (streambet/live/hub.py): sockets in
    # all, from one client address, and not (yet) authenticated; over a cap the upgrade is
    # refused with 503/429 and Retry-After. Idle sockets are pinged every WS_PING_SECONDS and
    # dropped when they stop answering; a client that lets WS_SEND_BUFFER_KB of its updates
    # pile up unread is dropped too.
    ws_max_sockets: int = 4096
    ws_max_per_address: int = 64
    ws_max_anonymous: int = 3072
    ws_ping_seconds: float = 20.0
    ws_send_buffer_kb: int = 64

    @property
    def is_production(self) -> bool:
        return self.env == "production"

    @property
    def compat_mode(self) -> bool:
        """Original endpoints work without a token, acting as the demo operator."""
        return self.env != "production"

    @property
    def max_upload_bytes(self) -> int:
        return self.max_upload_mb * 1024 * 1024

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'streambet.db').resolve()}"

    @property
    def resolved_storage_dir(self) -> Path:
        return self.storage_dir if str(self.storage_dir) != "." else self.data_dir / "storage"

    @property
    def resolved_model_dir(self) -> Path:
        return self.model_dir if str(self.model_dir) != "." else self.data_dir / "models"


def _coerce(name: str, raw: Any, kind: Any) -> Any:
    if not isinstance(raw, str):
        return raw
    try:
        if kind is bool:
            low = raw.strip().lower()
            if low in ("1", "true", "yes", "on"):
                return True
            if low in ("0", "false", "no", "off", ""):
                return False
            raise ValueError(raw)
        if kind is int:
            return int(raw)
        if kind is float:
            return float(raw)
        if kind is Path:
            return Path(raw)
    except ValueError:
        kind_name = getattr(kind, "__name__", str(kind))
        raise ConfigError(f"STREAMBET_{name.upper()}={raw!r} is not a valid {kind_name}") from None
    return raw


def load_settings(
    overrides: Mapping[str, Any] | None = None, environ: Mapping[str, str] | None = None
) -> Settings:
    """Build settings from the environment, then `overrides` (lower-case field names)."""
    environ = os.environ if environ is None else environ
    hints = get_type_hints(Settings)
    values: dict[str, Any] = {}
    known = {f.name for f in fields(Settings)} - {"extra"}
    for name in known:
        env_value = environ.get(f"STREAMBET_{name.upper()}")
        if env_value is not None:
            values[name] = _coerce(name, env_value, hints[name])
    extra: dict[str, Any] = {}
    for key, value in (overrides or {}).items():
        low = key.lower()
        if low in known:
            values[low] = _coerce(low, value, hints[low])
        else:
            extra[key] = value
    settings = Settings(**values, extra=extra)
    _validate(settings)
    return settings


def _validate(s: Settings) -> None:
    def choice(name: str, value: str, allowed: tuple[str, ...]) -> None:
        if value not in allowed:
            raise ConfigError(
                f"STREAMBET_{name.upper()}={value!r}: expected one of {', '.join(allowed)}"
            )

    choice("env", s.env, ENVIRONMENTS)
    choice("queue_backend", s.queue_backend, ("sqlite", "redis", "memory"))
    choice("events_backend", s.events_backend, ("memory", "redis"))
    choice("storage_backend", s.storage_backend, ("local", "s3"))
    choice("analysis_backend", s.analysis_backend, ("local", "rekognition", "fake"))
    if s.second_opinion_backend:
        choice("second_opinion_backend", s.second_opinion_backend, ("local", "rekognition", "fake"))
        if s.second_opinion_backend == s.analysis_backend:
            raise ConfigError(
                "STREAMBET_SECOND_OPINION_BACKEND must differ from STREAMBET_ANALYSIS_BACKEND"
            )
    if s.is_production and s.secret_key == DEV_SECRET_KEY:
        raise ConfigError(
            "STREAMBET_SECRET_KEY must be set to a private value when STREAMBET_ENV=production"
        )
    if "redis" in (s.queue_backend, s.events_backend) and not s.redis_url:
        raise ConfigError("STREAMBET_REDIS_URL is required by the redis queue or events backend")
    if s.storage_backend == "s3" and not s.s3_bucket:
        raise ConfigError("STREAMBET_S3_BUCKET is required when STREAMBET_STORAGE_BACKEND=s3")
    if s.analysis_backend == "rekognition" and not s.s3_bucket:
        raise ConfigError(
            "STREAMBET_S3_BUCKET is required when STREAMBET_ANALYSIS_BACKEND=rekognition"
        )
    for name in (
        "max_upload_mb",
        "max_video_seconds",
        "max_video_pixels",
        "queue_workers",
        "job_lease_seconds",
        "job_max_attempts",
        "evidence_max_frames",
        "ws_max_sockets",
        "ws_max_per_address",
        "ws_max_anonymous",
        "ws_send_buffer_kb",
    ):
        if getattr(s, name) <= 0:
            raise ConfigError(f"STREAMBET_{name.upper()} must be positive")
    if s.betting_sweep_seconds < 0:
        raise ConfigError("STREAMBET_BETTING_SWEEP_SECONDS must be 0 (off) or positive")
    if s.ws_ping_seconds <= 0:
        raise ConfigError("STREAMBET_WS_PING_SECONDS must be positive")
    if not 0 < s.sample_fps <= 30:
        raise ConfigError("STREAMBET_SAMPLE_FPS must be in (0, 30]")
    if not 0 <= s.review_floor_confidence <= s.auto_settle_confidence <= 100:
        raise ConfigError(
            "confidence bands must satisfy 0 <= REVIEW_FLOOR_CONFIDENCE"
            " <= AUTO_SETTLE_CONFIDENCE <= 100"
        )


def replace(settings: Settings, **changes: Any) -> Settings:
    new = dataclasses.replace(settings, **changes)
    _validate(new)
    return new
