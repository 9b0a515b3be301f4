"""RekognitionEngine: the AnalysisBackend that sends a video to AWS Rekognition Video
label detection and maps the answer onto the same Timeline the local engine produces.

One analysis: check the video against Rekognition's limits locally -> take a slot in the
local job queue -> upload to S3 (SSE on, multipart when large) -> StartLabelDetection
with an idempotent ClientRequestToken -> wait (poll or SNS/SQS) within the deadline ->
read every page -> Timeline. The uploaded object is deleted on every exit path unless
`keep_objects` is set. Rekognition's own pages are kept as-is on the RekognitionResult
that `run()` returns; `analyze()` (the port) returns the timeline and, when the caller
passes `options.rekognition_raw_path`, writes the pages there as JSON.

Rekognition has no call to stop a label-detection job: a cancel or a passed deadline
stops our side (wait, upload) and deletes the object, while the job itself runs out on
AWS. A retry of the same job (same `options.job_id`, file and options) sends the
same ClientRequestToken and so picks that job up instead of paying for a second one;
after a FAILED job, `options.rekognition_attempt` > 0 asks for a fresh job.
"""

from __future__ import annotations

import json
import logging
import math
import random
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
from botocore.config import Config as BotoConfig
from botocore.exceptions import BotoCoreError, ClientError, NoRegionError

from streambet.timeline import Timeline, VideoMetadata
from streambet.vision.backends import AnalysisOptions
from streambet.vision.backends.rekognition.calls import call_aws, translate
from streambet.vision.backends.rekognition.config import RekognitionConfig
from streambet.vision.backends.rekognition.errors import (
    JobFailed,
    RekognitionConfigError,
    ServiceError,
    VideoRejected,
)
from streambet.vision.backends.rekognition.mapping import timeline_from_pages
from streambet.vision.backends.rekognition.slots import JobSlots, shared_slots
from streambet.vision.backends.rekognition.start_request import (
    aggregate_by,
    file_digest,
    request_token,
    start_params,
)
from streambet.vision.backends.rekognition.storage import VideoStore, object_key
from streambet.vision.backends.rekognition.timing import Clock, Deadline, RealClock, check_cancel
from streambet.vision.backends.rekognition.waiting import (
    GET_ACTION,
    WaitContext,
    wait_by_notification,
    wait_by_polling,
)
from streambet.vision.control import CancelFlag, ProgressFn
from streambet.vision.pipeline.probe import probe_video

log = logging.getLogger(__name__)

START_ACTION = "rekognition:StartLabelDetection"
MAX_RESULTS = 1000
MAX_BYTES = 10 * 1024**3  # Rekognition Video: stored video up to 10 GB
MAX_SECONDS = 6 * 3600  # ... and up to 6 hours
# Share of the progress bar for each stage; waiting is an estimate (AWS reports none).
_UPLOADED, _STARTED, _FINISHED = 0.25, 0.3, 0.9


@dataclass
class RekognitionResult:
    timeline: Timeline
    pages: list[dict[str, Any]]  # GetLabelDetection responses as returned, minus transport
    job_id: str
    request_token: str
    s3_key: str
    object_deleted: bool  # False when kept on purpose or when the delete failed (logged)

    def raw(self) -> dict[str, Any]:
        return {"JobId": self.job_id, "ClientRequestToken": self.request_token, "Pages": self.pages}


class _Progress:
    """Never goes backwards; tolerates no callback."""

    def __init__(self, fn: ProgressFn | None) -> None:
        self.fn = fn
        self.value = 0.0

    def __call__(self, value: float) -> None:
        value = min(1.0, max(self.value, value))
        if self.fn is not None and value > self.value:
            self.fn(value)
        self.value = value


class RekognitionEngine:
    name = "rekognition"

    def __init__(
        self,
        config: RekognitionConfig,
        *,
        session: Any = None,
        rekognition_client: Any = None,
        s3_client: Any = None,
        sqs_client: Any = None,
        clock: Clock | None = None,
        rng: random.Random | None = None,
        slots: JobSlots | None = None,
    ) -> None:
        """The clients, clock, random source and job slots default to real ones; tests
        hand in their own."""
        config.validate()
        self.config = config
        self._session = session
        self._rekognition = rekognition_client
        self._s3 = s3_client
        self._sqs = sqs_client
        self.clock: Clock = clock or RealClock()
        self.rng = rng or random.Random()
        self._slots = slots
        self._lock = threading.Lock()
        self._bucket_checked = False

    # -- clients: created on first use, credentials only from the standard AWS chain --

    def _client(self, attr: str, service: str, max_attempts: int) -> Any:
        # boto3 sessions are not thread-safe (clients are, once made): build under a lock.
        with self._lock:
            client = getattr(self, attr)
            if client is not None:
                return client
            if self._session is None:
                self._session = boto3.session.Session(region_name=self.config.region or None)
            kwargs: dict[str, Any] = {
                "config": BotoConfig(
                    retries={"mode": "standard", "max_attempts": max_attempts},
                    user_agent_extra="streambet",
                )
            }
            if service == "s3" and self.config.s3_endpoint_url:
                kwargs["endpoint_url"] = self.config.s3_endpoint_url
            try:
                client = self._session.client(service, **kwargs)
            except NoRegionError:
                raise RekognitionConfigError(
                    "No AWS region: set STREAMBET_REKOGNITION_REGION or AWS_REGION."
                ) from None
            setattr(self, attr, client)
            return client

    @property
    def rekognition(self) -> Any:
        # One attempt: call_aws owns retries, bounded by the overall deadline.
        return self._client("_rekognition", "rekognition", 1)

    @property
    def s3(self) -> Any:
        return self._client("_s3", "s3", 5)

    @property
    def sqs(self) -> Any:
        return self._client("_sqs", "sqs", 5)

    @property
    def slots(self) -> JobSlots:
        if self._slots is None:
            profile = getattr(self._session, "profile_name", None) or "default"
            region = self.config.region or getattr(self._session, "region_name", "") or ""
            self._slots = shared_slots(str(profile), str(region), self.config.max_jobs)
        return self._slots

    # -- the port --

    def analyze(
        self,
        path: Path,
        options: AnalysisOptions,
        progress: ProgressFn | None = None,
        cancel: CancelFlag | None = None,
    ) -> Timeline:
        result = self.run(path, options, progress, cancel)
        if options.rekognition_raw_path is not None:
            raw = json.dumps(result.raw(), indent=1, default=str)
            Path(options.rekognition_raw_path).write_text(raw)
        return result.timeline

    def run(
        self,
        path: Path,
        options: AnalysisOptions,
        progress: ProgressFn | None = None,
        cancel: CancelFlag | None = None,
    ) -> RekognitionResult:
        report = _Progress(progress)
        deadline = Deadline(self.clock, self.config.deadline_seconds)
        cfg = self.config
        check_cancel(cancel)
        meta = self._precheck(path, options)
        aggregation = aggregate_by(options)
        params = start_params(options, cfg)
        digest = file_digest(path, cancel)
        token = request_token(
            options.job_id, digest, {**params, "Bucket": cfg.bucket}, options.rekognition_attempt
        )
        key = object_key(cfg.prefix, token, path)
        store = VideoStore(
            self.s3,
            cfg.bucket,
            kms_key_id=cfg.kms_key_id,
            multipart_threshold=cfg.multipart_threshold,
            multipart_chunksize=cfg.multipart_chunksize,
        )
        self._check_bucket_region()
        self.slots.acquire(deadline, cancel, on_queued=lambda: log.info("%s: queued", token))
        try:
            self._upload(store, path, key, report, deadline, cancel)
            job_id = self._start(params, token, key, deadline, cancel)
            report(_STARTED)
            first = self._wait(job_id, aggregation, meta, deadline, report, cancel)
            if first.get("JobStatus") == "FAILED":
                message = str(first.get("StatusMessage") or "no reason given")
                raise JobFailed(
                    f"Rekognition job {job_id} FAILED: {message} (retrying with the same"
                    " options returns this job again; raise rekognition_attempt to rerun)",
                    job_id=job_id,
                    status_message=message,
                )
            pages = self._read_pages(first, job_id, aggregation, deadline, report, cancel)
        finally:
            self.slots.release()
            # Every path, including a canceled or failed upload (S3 deletes are idempotent).
            deleted = False if cfg.keep_objects else store.delete(key)
        timeline = timeline_from_pages(
            pages,
            aggregate_by=aggregation,
            min_confidence=options.min_confidence,
            sample_interval_ms=max(1, round(1000 / options.sample_fps)),
            fallback_video=meta,
        )
        report(1.0)
        log.info("job %s: %d samples from %d page(s)", job_id, len(timeline.samples), len(pages))
        return RekognitionResult(timeline, pages, job_id, token, key, deleted)

    # -- steps --

    def _check_bucket_region(self) -> None:
        """Rekognition reads only from a bucket in its own region; otherwise every job
        fails later with a vague InvalidS3ObjectException. Checked once per engine; without
        s3:GetBucketLocation the check is skipped, not fatal."""
        if self._bucket_checked:
            return
        try:
            answer = self.s3.get_bucket_location(Bucket=self.config.bucket)
        except (ClientError, BotoCoreError) as exc:
            log.warning("could not check the region of bucket %s: %s", self.config.bucket, exc)
            self._bucket_checked = True
            return
        bucket_region = answer.get("LocationConstraint") or "us-east-1"
        rekognition_region = self.rekognition.meta.region_name
        if bucket_region != rekognition_region:
            raise RekognitionConfigError(
                f"Bucket {self.config.bucket} is in {bucket_region} but Rekognition runs in"
                f" {rekognition_region}; they must be the same region"
                " (STREAMBET_REKOGNITION_REGION)."
            )
        self._bucket_checked = True

    def _precheck(self, path: Path, options: AnalysisOptions) -> VideoMetadata:
        """Refuse locally what Rekognition would refuse after a paid upload."""
        meta = probe_video(
            path,
            max_seconds=min(options.max_seconds, MAX_SECONDS),
            max_pixels=options.max_pixels,
        )
        if path.stat().st_size > MAX_BYTES:
            raise VideoRejected("Rekognition Video accepts stored videos up to 10 GB.")
        if meta.codec != "h264":
            raise VideoRejected(
                f"Rekognition Video reads H.264 only (in MP4 or MOV); this video is {meta.codec}."
            )
        return meta

    def _upload(
        self,
        store: VideoStore,
        path: Path,
        key: str,
        report: _Progress,
        deadline: Deadline,
        cancel: CancelFlag | None,
    ) -> None:
        try:
            store.upload(path, key, lambda f: report(f * _UPLOADED), cancel, deadline)
        except (ClientError, BotoCoreError) as exc:
            raise translate(exc, "s3:PutObject") from exc
        log.info("uploaded s3://%s/%s", store.bucket, key)

    def _start(
        self,
        params: dict[str, Any],
        token: str,
        key: str,
        deadline: Deadline,
        cancel: CancelFlag | None,
    ) -> str:
        request = {
            **params,
            "Video": {"S3Object": {"Bucket": self.config.bucket, "Name": key}},
            "ClientRequestToken": token,
        }

        def on_wait(code: str) -> None:
            if code == "LimitExceededException":
                log.warning("%s: account at its concurrent-job limit; queued locally", token)

        response = call_aws(
            lambda: self.rekognition.start_label_detection(**request),
            START_ACTION,
            deadline=deadline,
            clock=self.clock,
            rng=self.rng,
            cancel=cancel,
            wait_codes=("LimitExceededException",),
            on_wait=on_wait,
            initial_delay=5.0,
            max_delay=60.0,
        )
        job_id = str(response["JobId"])
        log.info("job %s started (token %s, tag %s)", job_id, token, params["JobTag"])
        return job_id

    def _get(self, job_id: str, aggregation: str, next_token: str | None) -> Callable[[], Any]:
        request: dict[str, Any] = {
            "JobId": job_id,
            "MaxResults": MAX_RESULTS,
            "SortBy": "TIMESTAMP",
            "AggregateBy": aggregation,
        }
        if next_token:
            request["NextToken"] = next_token
        return lambda: _without_metadata(self.rekognition.get_label_detection(**request))

    def _wait(
        self,
        job_id: str,
        aggregation: str,
        meta: VideoMetadata,
        deadline: Deadline,
        report: _Progress,
        cancel: CancelFlag | None,
    ) -> dict[str, Any]:
        started = deadline.elapsed()
        # Rough expectation of a job's length; only shapes the progress estimate.
        tau = max(30.0, meta.duration_ms / 1000 * 0.5)

        def tick() -> None:
            waited = deadline.elapsed() - started
            report(_STARTED + (_FINISHED - _STARTED) * (1 - math.exp(-waited / tau)))

        first_page = self._get(job_id, aggregation, None)
        ctx = WaitContext(job_id, first_page, deadline, self.clock, self.rng, cancel, tick)
        if self.config.sqs_queue_url:
            return wait_by_notification(
                ctx,
                self.sqs,
                self.config.sqs_queue_url,
                fallback_poll_seconds=self.config.fallback_poll_seconds,
            )
        return wait_by_polling(
            ctx, initial=self.config.poll_initial_seconds, cap=self.config.poll_max_seconds
        )

    def _read_pages(
        self,
        first: dict[str, Any],
        job_id: str,
        aggregation: str,
        deadline: Deadline,
        report: _Progress,
        cancel: CancelFlag | None,
    ) -> list[dict[str, Any]]:
        pages = [first]
        seen: set[str] = set()
        token = first.get("NextToken")
        while token:
            if token in seen:
                raise ServiceError(
                    f"GetLabelDetection returned NextToken {token[:16]}... twice", job_id=job_id
                )
            seen.add(token)
            page = call_aws(
                self._get(job_id, aggregation, token),
                GET_ACTION,
                deadline=deadline,
                clock=self.clock,
                rng=self.rng,
                cancel=cancel,
                job_id=job_id,
            )
            pages.append(page)
            report(_FINISHED + 0.09 * (1 - 1 / (len(pages) + 1)))
            token = page.get("NextToken")
        return pages


def _without_metadata(response: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in response.items() if k != "ResponseMetadata"}
