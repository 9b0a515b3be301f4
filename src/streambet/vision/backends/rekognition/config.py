"""The Rekognition backend's settings: from STREAMBET_* (config.py) or given directly,
checked once when the engine is built so a mistake fails at start, not mid-job."""

from __future__ import annotations

from dataclasses import dataclass

from streambet.config import Settings
from streambet.vision.backends.rekognition.errors import RekognitionConfigError


@dataclass(frozen=True)
class RekognitionConfig:
    bucket: str
    prefix: str = "streambet/"
    region: str = ""
    s3_endpoint_url: str = ""
    deadline_seconds: float = 3600.0
    sns_topic_arn: str = ""
    role_arn: str = ""
    sqs_queue_url: str = ""
    keep_objects: bool = False
    max_jobs: int = 20
    kms_key_id: str = ""
    multipart_threshold: int = 64 * 1024 * 1024
    multipart_chunksize: int = 16 * 1024 * 1024
    poll_initial_seconds: float = 5.0
    poll_max_seconds: float = 60.0
    fallback_poll_seconds: float = 300.0

    @classmethod
    def from_settings(cls, s: Settings) -> RekognitionConfig:
        return cls(
            bucket=s.s3_bucket,
            prefix=s.s3_prefix,
            region=s.rekognition_region,
            s3_endpoint_url=s.s3_endpoint_url,
            deadline_seconds=float(s.rekognition_deadline_seconds),
            sns_topic_arn=s.rekognition_sns_topic_arn,
            role_arn=s.rekognition_role_arn,
            sqs_queue_url=s.rekognition_sqs_queue_url,
            keep_objects=s.rekognition_keep_objects,
            max_jobs=s.rekognition_max_jobs,
            kms_key_id=s.rekognition_kms_key_id,
        )

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
