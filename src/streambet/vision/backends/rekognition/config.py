"""The Rekognition backend's config, checked once when the engine is built so a mistake
fails at start, not mid-job. Fields marked with `setting` come from the app's settings
(the app builds this; vision never reads them); the rest are tuning with safe defaults."""

from __future__ import annotations

from dataclasses import dataclass

from streambet.vision.backends import setting
from streambet.vision.backends.rekognition.errors import RekognitionConfigError


@dataclass(frozen=True)
class RekognitionConfig:
    bucket: str = setting("s3_bucket")
    prefix: str = setting("s3_prefix", "streambet/")
    region: str = setting("rekognition.region", "")
    s3_endpoint_url: str = setting("s3_endpoint_url", "")
    deadline_seconds: float = setting("rekognition.deadline_seconds", 3600.0)
    sns_topic_arn: str = setting("rekognition.sns_topic_arn", "")
    role_arn: str = setting("rekognition.role_arn", "")
    sqs_queue_url: str = setting("rekognition.sqs_queue_url", "")
    keep_objects: bool = setting("rekognition.keep_objects", False)
    max_jobs: int = setting("rekognition.max_jobs", 20)
    kms_key_id: str = setting("rekognition.kms_key_id", "")
    multipart_threshold: int = 64 * 1024 * 1024
    multipart_chunksize: int = 16 * 1024 * 1024
    poll_initial_seconds: float = 5.0
    poll_max_seconds: float = 60.0
    fallback_poll_seconds: float = 300.0

    def validate(self) -> None:
        def fail(message: str) -> None:
            raise RekognitionConfigError(message)

        if not self.bucket:
            fail("The Rekognition backend needs a bucket: set STREAMBET_S3_BUCKET.")
        if self.prefix and not self.prefix.endswith("/"):
            fail(f"STREAMBET_S3_PREFIX={self.prefix!r} must end with '/'.")
        if self.deadline_seconds <= 0:
            fail("STREAMBET_REKOGNITION_DEADLINE_SECONDS must be positive.")
        if self.max_jobs < 1:
            fail("STREAMBET_REKOGNITION_MAX_JOBS must be at least 1.")
        if bool(self.sns_topic_arn) != bool(self.role_arn):
            fail(
                "STREAMBET_REKOGNITION_SNS_TOPIC_ARN and STREAMBET_REKOGNITION_ROLE_ARN go"
                " together (Rekognition publishes to the topic as that role)."
            )
        if self.sqs_queue_url and not self.sns_topic_arn:
            fail("STREAMBET_REKOGNITION_SQS_QUEUE_URL needs an SNS topic that feeds it.")
        if self.multipart_threshold < 5 * 1024 * 1024 or self.multipart_chunksize < 5 * 1024**2:
            fail("S3 multipart parts must be at least 5 MiB.")
