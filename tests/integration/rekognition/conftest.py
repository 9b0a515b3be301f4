"""Fixtures for the Rekognition backend: moto in server mode for S3 and SQS (a real HTTP
endpoint, so boto3's real transfer manager, multipart and SSE headers run), botocore's
Stubber on a real Rekognition client (every request and canned response is validated
against the service model), real H.264 files made with PyAV, and a clock that never
really sleeps."""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator
from fractions import Fraction
from pathlib import Path
from typing import Any

import av
import boto3
import numpy as np
import pytest
import requests
from botocore.stub import Stubber
from moto.server import ThreadedMotoServer

from streambet.vision.backends import CancelFlag
from streambet.vision.backends.rekognition.config import RekognitionConfig
from streambet.vision.backends.rekognition.engine import RekognitionEngine
from streambet.vision.backends.rekognition.slots import JobSlots
from streambet.vision.backends.rekognition.timing import check_cancel

BUCKET = "streambet-test"
REGION = "eu-west-1"
FAKE_KEY_ID = "AKIATESTONLY00000000"
FAKE_SECRET = "test-only-secret-never-logged-0123456789"


def make_video(
    path: Path, *, codec: str = "libx264", frames: int = 10, noise: bool = False
) -> Path:
    """A real little video. `noise` makes frames incompressible, for a file big enough to
    go multipart."""
    rng = np.random.default_rng(7)
    size = (320, 240) if noise else (64, 48)
    with av.open(str(path), mode="w") as container:
        stream = container.add_stream(codec, rate=10)
        stream.width, stream.height = size
        stream.pix_fmt = "yuv420p"
        if noise:
            stream.options = {"crf": "0", "preset": "ultrafast"}
        stream.time_base = Fraction(1, 10)
        for i in range(frames):
            if noise:
                pixels = rng.integers(0, 256, (size[1], size[0], 3), dtype=np.uint8)
            else:
                pixels = np.full((size[1], size[0], 3), (i * 20) % 256, dtype=np.uint8)
            frame = av.VideoFrame.from_ndarray(pixels, format="rgb24")
            frame.pts = i
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return path


@pytest.fixture(scope="session")
def videos(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("videos")
    return {
        "small": make_video(root / "clip.mp4"),
        "large": make_video(root / "large.mp4", frames=80, noise=True),
        "mpeg4": make_video(root / "old.mp4", codec="mpeg4"),
    }


@pytest.fixture(scope="session")
def moto_url() -> Iterator[str]:
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def aws_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Fake credentials in the environment: the standard chain is what the engine reads."""
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", FAKE_KEY_ID)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", FAKE_SECRET)
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-aws-credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")


@pytest.fixture
def s3(aws_env: None, moto_url: str) -> Iterator[Any]:
    requests.post(f"{moto_url}/moto-api/reset", timeout=10).raise_for_status()
    client = boto3.client("s3", endpoint_url=moto_url, region_name=REGION)
    client.create_bucket(Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": REGION})
    yield client
    client.close()


def keys(s3: Any) -> list[str]:
    return [o["Key"] for o in s3.list_objects_v2(Bucket=BUCKET).get("Contents", [])]


def pending_multipart(s3: Any) -> list[Any]:
    return list(s3.list_multipart_uploads(Bucket=BUCKET).get("Uploads", []))


class FakeClock:
    """Time moves only when the engine sleeps; `on_sleep` lets a test act mid-wait."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []
        self.on_sleep: Callable[[FakeClock], None] | None = None

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float, cancel: CancelFlag | None = None) -> None:
        check_cancel(cancel)
        self.sleeps.append(seconds)
        self.now += seconds
        if self.on_sleep is not None:
            self.on_sleep(self)
        check_cancel(cancel)


class Harness:
    """An engine wired to moto's S3 and a stubbed Rekognition client, plus what it sent."""

    def __init__(self, engine: RekognitionEngine, clock: FakeClock, s3: Any) -> None:
        self.engine = engine
        self.clock = clock
        self.s3 = s3
        self.stub = Stubber(engine.rekognition)
        self.requests: dict[str, list[dict[str, Any]]] = {}
        engine.rekognition.meta.events.register("provide-client-params.rekognition.*", self._record)

    def _record(self, params: dict[str, Any], model: Any, **_: Any) -> None:
        self.requests.setdefault(model.name, []).append(copy.deepcopy(params))

    @property
    def start_request(self) -> dict[str, Any]:
        return self.requests["StartLabelDetection"][-1]

    @property
    def video_key(self) -> str:
        return str(self.start_request["Video"]["S3Object"]["Name"])


@pytest.fixture
def harness(s3: Any, moto_url: str) -> Iterator[Callable[..., Harness]]:
    made: list[Harness] = []

    def make(sqs_client: Any = None, slots: JobSlots | None = None, **overrides: Any) -> Harness:
        clock = FakeClock()
        settings: dict[str, Any] = {
            "bucket": BUCKET,
            "region": REGION,
            "s3_endpoint_url": moto_url,
            "deadline_seconds": 600.0,
        }
        settings.update(overrides)
        engine = RekognitionEngine(
            config=RekognitionConfig(**settings), clock=clock, sqs_client=sqs_client, slots=slots
        )
        h = Harness(engine, clock, s3)
        h.stub.activate()
        made.append(h)
        return h

    yield make
    for h in made:
        h.stub.deactivate()
