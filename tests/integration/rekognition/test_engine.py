"""The Rekognition backend end to end against moto's S3 (server mode) and a Stubber on a
real Rekognition client: every request we send and every canned response is checked
against the service model, and after every path the bucket is empty again."""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.stub import ANY

from streambet.vision.backends import AnalysisOptions
from streambet.vision.backends.rekognition.errors import (
    AccessDenied,
    CredentialsProblem,
    DeadlineExceeded,
    JobFailed,
    RekognitionConfigError,
    ResultsUnavailable,
    ServiceError,
    VideoRejected,
)
from streambet.vision.backends.rekognition.recorded import load_recorded_timeline
from streambet.vision.backends.rekognition.slots import JobSlots
from streambet.vision.errors import AnalysisCanceled
from tests.integration.rekognition.conftest import (
    BUCKET,
    FAKE_SECRET,
    REGION,
    FakeClock,
    Harness,
    keys,
    pending_multipart,
)

JOB = "a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6e7f8a9b0c1d2e3f4a5b6c7d8e9f0a1b2"
FIXTURES = Path(__file__).parents[2] / "fixtures" / "rekognition"
META = {
    "Codec": "h264",
    "DurationMillis": 3000,
    "Format": "QuickTime / MOV",
    "FrameRate": 10.0,
    "FrameHeight": 48,
    "FrameWidth": 64,
    "ColorRange": "LIMITED",
}


def label(t: int, name: str, conf: float, *, box: bool = True, **extra: Any) -> dict[str, Any]:
    instances = (
        [
            {
                "BoundingBox": {"Width": 0.2, "Height": 0.4, "Left": 0.1, "Top": 0.3},
                "Confidence": conf,
            }
        ]
        if box
        else []
    )
    return {
        "Timestamp": t,
        "Label": {
            "Name": name,
            "Confidence": conf,
            "Instances": instances,
            "Parents": [{"Name": p} for p in extra.get("parents", ())],
            "Aliases": [{"Name": a} for a in extra.get("aliases", ())],
            "Categories": [{"Name": c} for c in extra.get("categories", ())],
        },
    }


def page(labels: list[dict[str, Any]], next_token: str | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {
        "JobStatus": "SUCCEEDED",
        "VideoMetadata": META,
        "LabelModelVersion": "3.0",
        "Labels": labels,
        "JobId": JOB,
    }
    if next_token:
        out["NextToken"] = next_token
    return out


IN_PROGRESS = {"JobStatus": "IN_PROGRESS", "JobId": JOB, "Labels": []}


def get_params(aggregate: str = "TIMESTAMPS", token: str | None = None) -> dict[str, Any]:
    params: dict[str, Any] = {
        "JobId": JOB,
        "MaxResults": 1000,
        "SortBy": "TIMESTAMP",
        "AggregateBy": aggregate,
    }
    if token:
        params["NextToken"] = token
    return params


def start_ok(h: Harness, params: dict[str, Any] | None = None) -> None:
    h.stub.add_response("start_label_detection", {"JobId": JOB}, params)


def watch_object(h: Harness, seen: list[dict[str, Any]]) -> None:
    """While the engine waits, look at the object Rekognition would be reading."""

    def look(_: FakeClock) -> None:
        if not seen:
            seen.append(h.s3.head_object(Bucket=BUCKET, Key=h.video_key))

    h.clock.on_sleep = look


def options(**kwargs: Any) -> AnalysisOptions:
    return AnalysisOptions(**{"job_id": "job-42", **kwargs})


def test_success_reads_every_page_maps_taxonomy_and_deletes_the_object(
    harness: Any, videos: dict[str, Path]
) -> None:
    h = harness()
    opts = options(
        min_confidence=60,
        label_inclusion=("Dog", "Person", "Car"),
        category_exclusion=("Text and Documents",),
    )
    start_ok(
        h,
        {
            "Video": {"S3Object": {"Bucket": BUCKET, "Name": ANY}},
            "ClientRequestToken": ANY,
            "MinConfidence": 60.0,
            "Features": ["GENERAL_LABELS"],
            "JobTag": "streambet-job-42",
            "Settings": {
                "GeneralLabels": {
                    "LabelInclusionFilters": ["Dog", "Person", "Car"],
                    "LabelCategoryExclusionFilters": ["Text and Documents"],
                }
            },
        },
    )
    pages = [
        page(
            [
                label(0, "Person", 99.0, aliases=["Human"], categories=["Person Description"]),
                label(
                    500,
                    "Dog",
                    91.5,
                    parents=["Pet", "Mammal", "Animal"],
                    aliases=["Canine"],
                    categories=["Animals and Pets"],
                ),
            ],
            next_token="p2",
        ),
        page([label(1000, "Dog", 88.0, box=False, parents=["Pet", "Mammal", "Animal"])], "p3"),
        page([label(1500, "Car", 55.0, parents=["Vehicle", "Transportation"])]),
    ]
    h.stub.add_response("get_label_detection", IN_PROGRESS, get_params())
    h.stub.add_response("get_label_detection", pages[0], get_params())
    h.stub.add_response("get_label_detection", pages[1], get_params(token="p2"))
    h.stub.add_response("get_label_detection", pages[2], get_params(token="p3"))
    seen: list[dict[str, Any]] = []
    watch_object(h, seen)
    progress: list[float] = []

    result = h.engine.run(videos["small"], opts, progress.append)

    h.stub.assert_no_pending_responses()
    assert result.job_id == JOB
    assert result.pages == pages  # kept as returned
    tl = result.timeline
    assert tl.engine == "rekognition" and tl.model_version == "3.0"
    assert tl.video.duration_ms == 3000 and tl.analysed_until_ms == 3000
    assert tl.sample_interval_ms == 500  # observed from the timestamps
    # Car at 55 is under the job's MinConfidence 60: dropped here as well.
    assert [(s.timestamp_ms, s.name) for s in tl.samples] == [
        (0, "Person"),
        (500, "Dog"),
        (1000, "Dog"),
    ]
    dog = tl.samples_of("Dog")
    assert dog[0].instances[0].box.width == pytest.approx(0.2)
    assert dog[1].instances == ()  # empty Instances: a sample with no boxes
    assert tl.info("Dog").parents == ("Pet", "Mammal", "Animal")
    assert tl.info("Dog").aliases == ("Canine",)
    assert tl.info("Dog").categories == ("Animals and Pets",)
    assert "Car" not in tl.labels
    # The object existed while the job ran, encrypted, and is gone now.
    assert seen and seen[0]["ServerSideEncryption"] == "AES256"
    assert result.object_deleted and keys(h.s3) == []
    assert progress == sorted(progress) and progress[-1] == 1.0
    assert any(0.3 < p < 0.9 for p in progress), "progress moved while the job ran"
    assert len(h.requests["GetLabelDetection"]) == 4


def test_segments_aggregation_becomes_samples_across_each_segment(
    harness: Any, videos: dict[str, Path]
) -> None:
    h = harness()
    start_ok(h)
    segment = {
        "Timestamp": 1000,
        "StartTimestampMillis": 1000,
        "EndTimestampMillis": 2200,
        "DurationMillis": 1200,
        "Label": {"Name": "Dog", "Confidence": 97.0, "Instances": [], "Parents": [{"Name": "Pet"}]},
    }
    h.stub.add_response("get_label_detection", page([segment]), get_params("SEGMENTS"))

    result = h.engine.run(videos["small"], options(sample_fps=2.0, aggregate_by="SEGMENTS"))

    h.stub.assert_no_pending_responses()
    tl = result.timeline
    assert [s.timestamp_ms for s in tl.samples] == [1000, 1500, 2000, 2200]
    assert {s.confidence for s in tl.samples} == {97.0}
    assert tl.sample_interval_ms == 500
    assert tl.info("Dog").parents == ("Pet",)
    assert keys(h.s3) == []


def test_throttling_and_throughput_errors_are_retried_then_succeed(
    harness: Any, videos: dict[str, Path]
) -> None:
    h = harness()
    h.stub.add_client_error("start_label_detection", "ThrottlingException", "Rate exceeded")
    start_ok(h)
    h.stub.add_client_error(
        "get_label_detection", "ProvisionedThroughputExceededException", "slow down"
    )
    h.stub.add_response("get_label_detection", page([label(0, "Person", 90.0)], "p2"))
    h.stub.add_client_error("get_label_detection", "ThrottlingException", "Rate exceeded")
    h.stub.add_response("get_label_detection", page([label(500, "Person", 91.0)]))

    result = h.engine.run(videos["small"], options())

    h.stub.assert_no_pending_responses()
    assert [s.timestamp_ms for s in result.timeline.samples] == [0, 500]
    assert len(h.clock.sleeps) == 3  # one backoff per throttled call
    # The retried start reused the same idempotency token.
    tokens = {r["ClientRequestToken"] for r in h.requests["StartLabelDetection"]}
    assert len(h.requests["StartLabelDetection"]) == 2 and len(tokens) == 1
    assert keys(h.s3) == []


def test_limit_exceeded_queues_locally_instead_of_failing(
    harness: Any, videos: dict[str, Path]
) -> None:
    h = harness()
    for _ in range(3):
        h.stub.add_client_error(
            "start_label_detection", "LimitExceededException", "20 concurrent jobs"
        )
    start_ok(h)
    h.stub.add_response("get_label_detection", page([label(0, "Person", 90.0)]))

    result = h.engine.run(videos["small"], options())

    h.stub.assert_no_pending_responses()
    assert result.job_id == JOB
    assert len(h.clock.sleeps) == 3
    assert h.clock.sleeps[1] > h.clock.sleeps[0] * 0.9  # backing off, not hammering
    assert keys(h.s3) == []


def test_local_queue_holds_a_second_analysis_until_a_slot_frees(
    harness: Any, videos: dict[str, Path]
) -> None:
    slots = JobSlots(1)
    first, second = harness(slots=slots), harness(slots=slots)
    start_ok(first)
    first.stub.add_response("get_label_detection", IN_PROGRESS)
    first.stub.add_response("get_label_detection", page([label(0, "Person", 90.0)]))
    start_ok(second)
    second.stub.add_response("get_label_detection", page([label(0, "Dog", 90.0)]))
    first_waiting, let_first_finish = threading.Event(), threading.Event()

    def hold(_: FakeClock) -> None:
        first_waiting.set()
        let_first_finish.wait(30)

    first.clock.on_sleep = hold
    results: dict[str, Any] = {}

    def run(name: str, h: Harness) -> None:
        try:
            results[name] = h.engine.run(videos["small"], options(job_id=name))
        except Exception as exc:
            results[name] = exc

    t1 = threading.Thread(target=run, args=("first", first))
    t1.start()
    assert first_waiting.wait(30)
    t2 = threading.Thread(target=run, args=("second", second))
    t2.start()
    for _ in range(300):  # bounded: until the second analysis sits in the queue
        if slots.waiting == 1:
            break
        threading.Event().wait(0.05)
    assert slots.waiting == 1 and slots.in_use == 1
    assert "StartLabelDetection" not in second.requests  # queued, not failed, not started
    let_first_finish.set()
    t1.join(30)
    t2.join(30)

    assert [s.name for s in results["first"].timeline.samples] == ["Person"]
    assert [s.name for s in results["second"].timeline.samples] == ["Dog"]
    assert slots.in_use == 0 and slots.waiting == 0
    assert keys(first.s3) == []


def test_failed_job_raises_its_message_and_deletes_the_object(
    harness: Any, videos: dict[str, Path]
) -> None:
    h = harness()
    start_ok(h)
    h.stub.add_response("get_label_detection", IN_PROGRESS)
    h.stub.add_response(
        "get_label_detection",
        {"JobStatus": "FAILED", "StatusMessage": "Unsupported codec.", "JobId": JOB},
    )
    seen: list[dict[str, Any]] = []
    watch_object(h, seen)

    with pytest.raises(JobFailed) as info:
        h.engine.run(videos["small"], options())

    assert info.value.status_message == "Unsupported codec."
    assert "rekognition_attempt" in info.value.message  # how to get a fresh job
    assert info.value.job_id == JOB and JOB in info.value.message
    assert seen, "the object existed while the job ran"
    assert keys(h.s3) == []


def test_deadline_exceeded_on_a_job_that_hangs(harness: Any, videos: dict[str, Path]) -> None:
    h = harness(deadline_seconds=120.0)
    start_ok(h)
    for _ in range(40):
        h.stub.add_response("get_label_detection", IN_PROGRESS)

    with pytest.raises(DeadlineExceeded) as info:
        h.engine.run(videos["small"], options())

    assert info.value.job_id == JOB
    assert h.clock.now - 1000.0 <= 120.0 + 1e-6  # never waited past the deadline
    polls = len(h.requests["GetLabelDetection"])
    assert 3 <= polls < 40  # backoff grew the gaps
    assert h.clock.sleeps[-2] > h.clock.sleeps[0]
    assert keys(h.s3) == []


def test_cancel_mid_wait_stops_and_deletes_the_object(
    harness: Any, videos: dict[str, Path]
) -> None:
    h = harness()
    start_ok(h)
    for _ in range(5):
        h.stub.add_response("get_label_detection", IN_PROGRESS)
    cancel = threading.Event()
    seen: list[dict[str, Any]] = []

    def cancel_on_second_sleep(clock: FakeClock) -> None:
        if not seen:
            seen.append(h.s3.head_object(Bucket=BUCKET, Key=h.video_key))
        elif len(clock.sleeps) == 2:
            cancel.set()

    h.clock.on_sleep = cancel_on_second_sleep

    with pytest.raises(AnalysisCanceled):
        h.engine.run(videos["small"], options(), cancel=cancel)

    assert len(h.requests["GetLabelDetection"]) == 2
    assert seen and keys(h.s3) == []


def test_keep_objects_leaves_the_upload_in_place(harness: Any, videos: dict[str, Path]) -> None:
    h = harness(keep_objects=True)
    start_ok(h)
    h.stub.add_response("get_label_detection", page([]))

    result = h.engine.run(videos["small"], options())

    assert not result.object_deleted
    assert keys(h.s3) == [result.s3_key]


def test_large_video_goes_multipart_encrypted_and_leaves_no_parts(
    harness: Any, videos: dict[str, Path]
) -> None:
    assert videos["large"].stat().st_size > 10 * 1024 * 1024  # three 5 MiB parts at least
    h = harness(multipart_threshold=5 * 1024 * 1024, multipart_chunksize=5 * 1024 * 1024)
    start_ok(h)
    h.stub.add_response("get_label_detection", IN_PROGRESS)
    h.stub.add_response("get_label_detection", page([label(0, "Person", 90.0)]))
    seen: list[dict[str, Any]] = []
    watch_object(h, seen)
    callers: set[int] = set()

    h.engine.run(videos["large"], options(), lambda _: callers.add(threading.get_ident()))

    assert callers == {threading.get_ident()}  # parts go up on other threads; reports don't
    head = seen[0]
    assert head["ServerSideEncryption"] == "AES256"
    assert head["ETag"].strip('"').endswith(("-3", "-4", "-5"))  # a multipart ETag
    assert head["ContentLength"] == videos["large"].stat().st_size
    assert keys(h.s3) == [] and pending_multipart(h.s3) == []


def test_cancel_during_upload_aborts_and_leaves_nothing(
    harness: Any, videos: dict[str, Path]
) -> None:
    h = harness(multipart_threshold=5 * 1024 * 1024, multipart_chunksize=5 * 1024 * 1024)
    cancel = threading.Event()

    def on_progress(fraction: float) -> None:
        if fraction > 0.01:
            cancel.set()

    with pytest.raises(AnalysisCanceled):
        h.engine.run(videos["large"], options(), on_progress, cancel)

    assert "StartLabelDetection" not in h.requests
    assert keys(h.s3) == [] and pending_multipart(h.s3) == []


def test_deadline_during_upload_aborts_it(harness: Any, videos: dict[str, Path]) -> None:
    h = harness(
        deadline_seconds=60.0,
        multipart_threshold=5 * 1024 * 1024,
        multipart_chunksize=5 * 1024 * 1024,
    )

    def time_flies(fraction: float) -> None:
        h.clock.now += 120.0  # the fake clock: as if the first bytes took two minutes

    with pytest.raises(DeadlineExceeded, match="upload"):
        h.engine.run(videos["large"], options(), time_flies)

    assert "StartLabelDetection" not in h.requests
    assert keys(h.s3) == [] and pending_multipart(h.s3) == []


def test_same_job_same_token_and_key_different_job_its_own(
    harness: Any, videos: dict[str, Path]
) -> None:
    h = harness()
    for _ in range(4):
        start_ok(h)
        h.stub.add_response("get_label_detection", page([]))

    first = h.engine.run(videos["small"], options())
    retry = h.engine.run(videos["small"], options())
    other = h.engine.run(videos["small"], options(job_id="job-43"))
    rerun = h.engine.run(videos["small"], options(rekognition_attempt=1))

    assert first.request_token == retry.request_token
    assert first.s3_key == retry.s3_key
    assert other.request_token != first.request_token and other.s3_key != first.s3_key
    assert rerun.request_token not in (first.request_token, other.request_token)
    tokens = (first.request_token, other.request_token, rerun.request_token)
    assert all(len(t) <= 64 for t in tokens)
    assert keys(h.s3) == []


@pytest.mark.parametrize(
    ("operation", "code", "error"),
    [
        ("start_label_detection", "AccessDeniedException", AccessDenied),
        ("start_label_detection", "InvalidS3ObjectException", VideoRejected),
        ("get_label_detection", "ExpiredTokenException", CredentialsProblem),
        ("get_label_detection", "ResourceNotFoundException", ResultsUnavailable),
        ("start_label_detection", "IdempotentParameterMismatchException", ServiceError),
    ],
)
def test_service_errors_become_clear_typed_errors_and_still_clean_up(
    harness: Any, videos: dict[str, Path], operation: str, code: str, error: type[Exception]
) -> None:
    h = harness()
    if operation == "get_label_detection":
        start_ok(h)
    h.stub.add_client_error(operation, code, "from the service")

    with pytest.raises(error) as info:
        h.engine.run(videos["small"], options())

    message = str(info.value)
    assert code in message and "from the service" in message
    if error is AccessDenied:
        assert "rekognition:StartLabelDetection" in message
    assert keys(h.s3) == []


def test_upload_failure_names_the_s3_action_and_starts_no_job(
    harness: Any, videos: dict[str, Path]
) -> None:
    h = harness(bucket="no-such-bucket")
    with pytest.raises(ServiceError, match=r"s3:PutObject failed \(NoSuchBucket"):
        h.engine.run(videos["small"], options())
    assert "StartLabelDetection" not in h.requests


def test_non_h264_video_is_refused_before_any_upload(harness: Any, videos: dict[str, Path]) -> None:
    h = harness()
    with pytest.raises(VideoRejected, match=r"H\.264"):
        h.engine.run(videos["mpeg4"], options())
    assert h.requests == {} and keys(h.s3) == []


def test_credentials_never_reach_the_logs(
    harness: Any, videos: dict[str, Path], caplog: pytest.LogCaptureFixture
) -> None:
    h = harness()
    start_ok(h)
    h.stub.add_client_error("get_label_detection", "ThrottlingException", "Rate exceeded")
    h.stub.add_response("get_label_detection", page([label(0, "Person", 90.0)]))
    with caplog.at_level("DEBUG"):
        h.engine.run(videos["small"], options())
    assert caplog.records, "the run logged at DEBUG (botocore included)"
    assert FAKE_SECRET not in caplog.text


@pytest.mark.parametrize(
    "name", ["get_label_detection_timestamps.json", "get_label_detection_segments.json"]
)
def test_recorded_response_runs_through_the_engine_into_the_same_timeline(
    harness: Any, videos: dict[str, Path], tmp_path: Path, name: str
) -> None:
    """The hand-written recordings are validated against the service model by the
    Stubber, and the engine and the loader helper make the same timeline from them."""
    recording = FIXTURES / name
    response = json.loads(recording.read_text())
    aggregation = response["GetRequestMetadata"]["AggregateBy"]
    h = harness()
    start_ok(h)
    h.stub.add_response("get_label_detection", response, get_params(aggregation))
    raw_path = tmp_path / "raw.json"
    opts = options(sample_fps=1.0, rekognition_raw_path=raw_path, aggregate_by=aggregation)

    timeline = h.engine.analyze(videos["small"], opts)

    expected = load_recorded_timeline(recording, sample_interval_ms=1000)
    assert timeline.to_dict() == expected.to_dict()
    assert json.loads(raw_path.read_text())["Pages"] == [response]
    assert keys(h.s3) == []


def test_sse_kms_when_a_key_is_configured(
    harness: Any, videos: dict[str, Path], moto_url: str
) -> None:
    kms = boto3.client("kms", endpoint_url=moto_url, region_name=REGION)
    key_id = kms.create_key(Description="streambet videos")["KeyMetadata"]["KeyId"]
    h = harness(kms_key_id=key_id)
    start_ok(h)
    h.stub.add_response("get_label_detection", IN_PROGRESS)
    h.stub.add_response("get_label_detection", page([]))
    seen: list[dict[str, Any]] = []
    watch_object(h, seen)

    h.engine.run(videos["small"], options())

    assert seen[0]["ServerSideEncryption"] == "aws:kms"
    assert key_id in seen[0]["SSEKMSKeyId"]
    assert keys(h.s3) == []
    kms.close()


def test_bucket_in_another_region_is_refused_before_any_upload(
    harness: Any, videos: dict[str, Path]
) -> None:
    h = harness(region="us-east-1")  # the test bucket lives in eu-west-1
    with pytest.raises(RekognitionConfigError, match="eu-west-1 but Rekognition runs in us-east-1"):
        h.engine.run(videos["small"], options())
    assert h.requests == {} and keys(h.s3) == []
