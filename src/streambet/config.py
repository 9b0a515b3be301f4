"""Settings from STREAMBET_* environment variables (or a mapping in tests), validated once.

pydantic-settings does the typing: `Settings` declares each setting with its type and
default, backend names are `Literal`s (the analysis backends are the keys of
streambet.vision.backends.REGISTRY), and the Rekognition settings are a nested model
(`settings.rekognition.region`) whose variables keep their flat names
(`STREAMBET_REKOGNITION_REGION`, not `__` nesting). A mistake fails at start with the
variable named, and so does a STREAMBET_* variable (or an override key) that is no
setting, so a misspelt one is never silently ignored.

Nothing here runs at import time: `load_settings()` is called by the application factory
and by the CLI.
"""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from pydantic import Field, SecretStr, ValidationError, model_validator
from pydantic_settings import (
    BaseSettings,
    EnvSettingsSource,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)

from streambet.domain.payments import DEPOSIT_PROVIDERS as DEPOSITS
from streambet.domain.payments import PAYOUT_PROVIDERS as PAYOUTS
from streambet.vision.backends import REGISTRY

DEV_SECRET_KEY = "dev-insecure-secret-key"
PREFIX = "STREAMBET_"
REKOGNITION_PREFIX = "STREAMBET_REKOGNITION_"
# STREAMBET_* variables that are not settings: the test suite's services and browser.
NOT_SETTINGS = frozenset({"STREAMBET_CHROMIUM"})
NOT_SETTINGS_PREFIX = "STREAMBET_TEST_"

if TYPE_CHECKING:
    AnalysisBackend = str
    SecondOpinion = str
else:  # the registry's keys, so a new backend needs no second list here
    AnalysisBackend = Literal[tuple(REGISTRY)]
    SecondOpinion = Literal[("", *REGISTRY)]
Environment = Literal["development", "production", "test"]
QueueBackend = Literal["sqlite", "redis", "memory"]  # memory: tests (runs tasks inline)
EventsBackend = Literal["memory", "redis"]
StorageBackend = Literal["local", "s3"]
FootagePolicy = Literal["refuse", "disclose"]  # domain.markets.FootagePolicy


class ConfigError(ValueError):
    """A setting is missing or malformed; the message names the variable."""


class _Model(BaseSettings):
    """Values come only from `load_settings` (which reads the environment it is given),
    never from the process environment behind its back."""

    model_config = SettingsConfigDict(frozen=True, extra="forbid", validate_default=True)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings,)


class RekognitionSettings(_Model):
    """The AWS Rekognition backend (analysis_backend=rekognition); it uses s3_bucket and
    s3_prefix too. Variables: STREAMBET_REKOGNITION_<FIELD>."""

    model_config = SettingsConfigDict(env_prefix=REKOGNITION_PREFIX)

    region: str = ""  # default: the AWS chain's region
    deadline_seconds: int = Field(default=3600, gt=0)  # whole analysis: queue, upload, job, pages
    sns_topic_arn: str = ""  # with role_arn + sqs_queue_url: wait by notice
    role_arn: str = ""
    sqs_queue_url: str = ""
    keep_objects: bool = False  # keep the uploaded video (default: delete)
    max_jobs: int = Field(default=20, gt=0)  # concurrent jobs from this process; more wait here
    kms_key_id: str = ""  # SSE-KMS key; empty: SSE-S3 (AES256)


class Settings(_Model):
    model_config = SettingsConfigDict(env_prefix=PREFIX)

    env: Environment = "development"
    secret_key: str = DEV_SECRET_KEY
    # Everything the embedded defaults write (SQLite, queue, uploads, model cache) lives here.
    data_dir: Path = Path("var")
    database_url: str = ""  # default: SQLite in data_dir
    queue_backend: QueueBackend = "sqlite"
    redis_url: str = ""
    events_backend: EventsBackend = "memory"
    storage_backend: StorageBackend = "local"
    storage_dir: Path = Path()  # default: data_dir / "storage"
    s3_bucket: str = ""
    s3_endpoint_url: str = ""
    s3_prefix: str = "streambet/"
    analysis_backend: AnalysisBackend = "local"
    model_dir: Path = Path()  # default: data_dir / "models"
    max_upload_mb: int = Field(default=100, gt=0)
    max_video_seconds: int = Field(default=6 * 3600, gt=0)
    max_video_pixels: int = Field(default=4096 * 2160, gt=0)
    sample_fps: float = Field(default=2.0, gt=0, le=30)
    queue_workers: int = Field(default=2, gt=0)
    embedded_worker: bool = True
    signup_credit: int = 10_000  # minor units of play money
    auto_settle_confidence: float = 80.0
    review_floor_confidence: float = 50.0
    dispute_window_seconds: int = 600
    betting_sweep_seconds: float = Field(default=2.0, ge=0)  # locks, settles and pays; 0: off
    token_ttl_hours: int = 24 * 14
    # Login throttles (token buckets in the database, shared by every worker): failed
    # logins an account may take, and attempts a client address may make, per window.
    login_account_failures: int = Field(default=5, gt=0)
    login_account_window_seconds: int = Field(default=300, gt=0)
    login_address_attempts: int = Field(default=30, gt=0)
    login_address_window_seconds: int = Field(default=60, gt=0)
    log_level: str = "INFO"
    queue_name: str = "streambet"  # Huey's queue (and Redis key prefix)
    job_lease_seconds: int = Field(
        default=30, gt=0
    )  # a running job whose lease lapses is queued again
    job_max_attempts: int = Field(default=3, gt=0)
    rekognition: RekognitionSettings = Field(default_factory=lambda: RekognitionSettings())
    # Evidence: frames kept per analysis once its upload is deleted; or keep the upload too.
    evidence_max_frames: int = Field(default=600, gt=0)
    keep_uploads: bool = False
    # Agreement mode: a second engine runs on every clip; settlement may require it to agree.
    second_opinion_backend: SecondOpinion = ""  # empty: off
    require_agreement: bool = False
    # WebSockets (/api/ws), each a cap per worker process (api/sockets/hub.py): sockets in all,
    # from one client address, and not (yet) authenticated; over a cap the upgrade is
    # refused with 503/429 and Retry-After. Idle sockets are pinged every WS_PING_SECONDS and
    # dropped when they stop answering; a client that lets WS_SEND_BUFFER_KB of its updates
    # pile up unread is dropped too.
    ws_max_sockets: int = Field(default=4096, gt=0)
    ws_max_per_address: int = Field(default=64, gt=0)
    ws_max_anonymous: int = Field(default=3072, gt=0)
    ws_ping_seconds: float = Field(default=20.0, gt=0)
    ws_send_buffer_kb: int = Field(default=64, gt=0)
    # A market on footage whose analysis has started or finished: refused, or allowed and
    # shown to bettors as "the footage was analysed before betting opened".
    markets_on_analysed_footage: FootagePolicy = "refuse"
    # Who may scrape /metrics in production (outside it, anyone): a bearer token, and/or
    # client addresses or networks, comma-separated ("10.0.0.0/8,127.0.0.1"). Neither: 404.
    metrics_token: str = ""
    metrics_allow: str = ""
    # `streambet worker` serves its own /metrics here for Prometheus (0: not served), to
    # anyone who reaches the address: keep it on loopback or a private network. Web nodes
    # serve theirs on the API port (STREAMBET_METRICS_TOKEN/ALLOW apply there).
    metrics_port: int = Field(default=0, ge=0, le=65535)
    metrics_host: str = "127.0.0.1"
    # OpenTelemetry spans exported over OTLP/HTTP here ("http://collector:4318/v1/traces");
    # empty: no tracing (streambet/tracing.py).
    otlp_endpoint: str = ""
    # Account mail (sign-up notices). No SMTP yet: "log" writes each message to the log,
    # "record" keeps them in memory (tests).
    mail_backend: Literal["log", "record"] = "log"
    # Payments: providers for deposits (a comma list; the first that can pay out also
    # pays withdrawals), the one currency of the books, and who needs an admin's approval.
    payments: str = "play"
    payments_currency: str = Field(default="eur", pattern=r"^[a-z]{3}$")
    withdrawal_approval_threshold: int = Field(default=100_000, ge=0)  # minor units; 0: none
    public_url: str = ""  # where providers call back (IPN URLs); default: the request's
    stripe_secret_key: SecretStr = SecretStr("")
    stripe_webhook_secret: SecretStr = SecretStr("")
    stripe_api_base: str = ""  # default: Stripe's own
    # Public by design (pk_...): the wallet page hands it to Stripe.js for the card form.
    stripe_publishable_key: str = Field(default="", pattern=r"^(pk_[A-Za-z0-9_]+)?$")
    nowpayments_api_key: SecretStr = SecretStr("")
    nowpayments_ipn_secret: SecretStr = SecretStr("")
    nowpayments_api_base: str = "https://api.nowpayments.io"
    # Live streams: replay: files must lie in live_media_dir in production (default:
    # data_dir/media); live_allow_loopback lets production streams use this machine's
    # servers (tests). A worker runs at most live_max_streams live jobs; a source that
    # gives no picture for live_read_timeout_seconds is reconnected with backoff, and one
    # that never answers for live_give_up_seconds fails. Old chunks, events and frames go
    # after live_retention_hours.
    live_media_dir: Path = Path()
    live_allow_loopback: bool = False
    live_max_streams: int = Field(default=4, ge=0)
    live_open_timeout_seconds: float = Field(default=10.0, gt=0)
    live_read_timeout_seconds: float = Field(default=10.0, gt=0)
    live_give_up_seconds: float = Field(default=60.0, gt=0)
    live_retention_hours: float = Field(default=24.0, gt=0)
    # Live markets: the default bet delay of in-play markets, and how long after its end a
    # window the engine could not watch whole waits before its gap rule decides it.
    live_bet_delay_seconds: float = Field(default=5.0, gt=0, le=60)
    live_settle_timeout_seconds: float = Field(default=90.0, gt=0)
    # Twitch Predictions mirroring (per stream, opt-in): the app's client id; empty: off.
    twitch_client_id: str = ""
    twitch_helix_url: str = "https://api.twitch.tv/helix"

    @model_validator(mode="after")
    def _consistent(self) -> Settings:
        if self.second_opinion_backend and self.second_opinion_backend == self.analysis_backend:
            raise ValueError(
                "STREAMBET_SECOND_OPINION_BACKEND must differ from STREAMBET_ANALYSIS_BACKEND"
            )
        if self.is_production and self.secret_key == DEV_SECRET_KEY:
            raise ValueError(
                "STREAMBET_SECRET_KEY must be set to a private value when STREAMBET_ENV=production"
            )
        if "redis" in (self.queue_backend, self.events_backend) and not self.redis_url:
            raise ValueError("STREAMBET_REDIS_URL is required by the redis queue or events backend")
        if self.storage_backend == "s3" and not self.s3_bucket:
            raise ValueError("STREAMBET_S3_BUCKET is required when STREAMBET_STORAGE_BACKEND=s3")
        if self.analysis_backend == "rekognition" and not self.s3_bucket:
            raise ValueError(
                "STREAMBET_S3_BUCKET is required when STREAMBET_ANALYSIS_BACKEND=rekognition"
            )
        for entry in filter(None, (e.strip() for e in self.metrics_allow.split(","))):
            try:
                ipaddress.ip_network(entry, strict=False)
            except ValueError:
                raise ValueError(
                    f"STREAMBET_METRICS_ALLOW: {entry!r} is not an address or network"
                ) from None
        self._check_payments()
        if not 0 <= self.review_floor_confidence <= self.auto_settle_confidence <= 100:
            raise ValueError(
                "confidence bands must satisfy 0 <= REVIEW_FLOOR_CONFIDENCE"
                " <= AUTO_SETTLE_CONFIDENCE <= 100"
            )
        return self

    def _check_payments(self) -> None:
        names = self.payment_providers
        unknown = [n for n in names if n not in DEPOSITS]
        if unknown or not names:
            raise ValueError(
                f"STREAMBET_PAYMENTS={self.payments!r}: expected a comma list of"
                f" {', '.join(DEPOSITS)}"
            )
        if not any(n in PAYOUTS for n in names):
            raise ValueError(
                f"STREAMBET_PAYMENTS={self.payments!r} has no provider that pays out"
                f" withdrawals ({', '.join(PAYOUTS)}); NOWPayments payouts are not supported"
            )
        needs = {
            "stripe": ("stripe_secret_key", "stripe_webhook_secret"),
            "nowpayments": ("nowpayments_api_key", "nowpayments_ipn_secret"),
        }
        if "stripe" in names and not self.stripe_publishable_key:
            raise ValueError(
                "STREAMBET_STRIPE_PUBLISHABLE_KEY is required by stripe payments"
                " (the wallet page's card form)"
            )
        for name in names:
            for field_name in needs.get(name, ()):
                secret: SecretStr = getattr(self, field_name)
                if not secret.get_secret_value():
                    raise ValueError(f"{_variable(field_name)} is required by {name} payments")

    @property
    def payment_providers(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(n.strip() for n in self.payments.split(",") if n.strip()))

    @property
    def payout_provider(self) -> str:
        return next(n for n in self.payment_providers if n in PAYOUTS)

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
    def resolved_media_dir(self) -> Path:
        media = self.live_media_dir if str(self.live_media_dir) != "." else self.data_dir / "media"
        return media.resolve()

    @property
    def resolved_model_dir(self) -> Path:
        return self.model_dir if str(self.model_dir) != "." else self.data_dir / "models"


class _Environ(EnvSettingsSource):
    """pydantic-settings' environment source, reading the mapping it is given (the process
    environment, or a test's) instead of os.environ."""

    def __init__(self, settings_cls: type[BaseSettings], environ: Mapping[str, str]) -> None:
        self._environ = environ
        super().__init__(settings_cls, case_sensitive=False, env_ignore_empty=False)

    def _load_env_vars(self) -> Mapping[str, str | None]:
        return {key.lower(): value for key, value in self._environ.items()}


def _variable(name: str) -> str:
    """The environment variable of a setting (`rekognition_region` included)."""
    return f"{PREFIX}{name.upper()}"


def _names() -> dict[str, tuple[str, ...]]:
    """Every setting's flat name -> where it lives: ("max_upload_mb",) or
    ("rekognition", "region")."""
    names: dict[str, tuple[str, ...]] = {
        name: (name,) for name in Settings.model_fields if name != "rekognition"
    }
    for name in RekognitionSettings.model_fields:
        names[f"rekognition_{name}"] = ("rekognition", name)
    return names


def _unknown_variables(environ: Mapping[str, str], names: Mapping[str, Any]) -> list[str]:
    known = {_variable(n) for n in names}
    return sorted(
        key
        for key in environ
        if key.upper().startswith(PREFIX)
        and key.upper() not in known
        and key.upper() not in NOT_SETTINGS
        and not key.upper().startswith(NOT_SETTINGS_PREFIX)
    )


def _set(value: Any, default: Any) -> bool:
    """An empty variable means "not set" for a setting that is not text."""
    return value != "" or isinstance(default, str)


def _from_environ(environ: Mapping[str, str]) -> dict[str, Any]:
    fields = Settings.model_fields
    values: dict[str, Any] = {
        key: value
        for key, value in _Environ(Settings, environ)().items()
        if key != "rekognition" and _set(value, fields[key].default)
    }
    nested_fields = RekognitionSettings.model_fields
    nested = {
        key: value
        for key, value in _Environ(RekognitionSettings, environ)().items()
        if _set(value, nested_fields[key].default)
    }
    if nested:
        values["rekognition"] = nested
    return values


def _describe(error: Any, values: Mapping[str, Any]) -> str:
    loc = tuple(str(p) for p in error["loc"])
    if not loc:  # a rule across settings: its message names them
        return str(error["msg"]).removeprefix("Value error, ")
    variable = _variable("_".join(loc))
    given = values
    for part in loc:
        given = given.get(part, {}) if isinstance(given, Mapping) else {}
    shown = f"{variable}={given!r}" if not isinstance(given, Mapping) else variable
    kind = error["type"]
    ctx = error.get("ctx") or {}
    if kind == "literal_error":
        return f"{shown}: expected one of {ctx.get('expected')}"
    if kind == "greater_than" and ctx.get("gt") == 0:
        return f"{variable} must be positive"
    if kind == "extra_forbidden":
        return f"{variable} is not a setting"
    return f"{shown} is not valid: {error['msg']}"


def load_settings(
    overrides: Mapping[str, Any] | None = None, environ: Mapping[str, str] | None = None
) -> Settings:
    """Settings from the environment, then `overrides` (lower-case setting names, as in
    `create_app({...})`; `rekognition_region` for the nested ones)."""
    environ = os.environ if environ is None else environ
    names = _names()
    unknown = _unknown_variables(environ, names)
    if unknown:
        raise ConfigError(
            f"Unknown setting {', '.join(unknown)}: no such STREAMBET_* variable"
            " (src/streambet/config.py lists them)"
        )
    values = _from_environ(environ)
    for key, value in (overrides or {}).items():
        where = names.get(key.lower())
        if where is None:
            raise ConfigError(f"Unknown setting {key!r}: no such setting (STREAMBET_{key.upper()})")
        if len(where) == 1:
            values[where[0]] = value
        else:
            section = values.setdefault(where[0], {})
            section[where[1]] = value
    try:
        return Settings(**values)
    except ValidationError as exc:
        raise ConfigError("; ".join(_describe(e, values) for e in exc.errors())) from None
