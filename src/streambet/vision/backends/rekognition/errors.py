"""Typed failures of the Rekognition backend, each with a stable code and a message that
tells an operator what to do. Messages never contain credentials or signed URLs."""

from __future__ import annotations

from streambet.vision.errors import VideoError


class RekognitionError(Exception):
    """The cloud analysis could not finish. `code` is stable; the message is for people."""

    code = "rekognition_error"

    def __init__(self, message: str, *, job_id: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.job_id = job_id


class RekognitionConfigError(RekognitionError):
    """A setting the backend needs is missing or malformed (bucket, ARNs, filters)."""

    code = "rekognition_config"


class CredentialsProblem(RekognitionError):
    """No credentials in the standard AWS chain, or they have expired."""

    code = "aws_credentials"


class AccessDenied(RekognitionError):
    """The credentials work but lack an IAM permission; the message names the action."""

    code = "aws_access_denied"


class JobFailed(RekognitionError):
    """Rekognition reported the job FAILED; `status_message` is its own explanation."""

    code = "rekognition_job_failed"

    def __init__(self, message: str, *, job_id: str | None = None, status_message: str = ""):
        super().__init__(message, job_id=job_id)
        self.status_message = status_message


class DeadlineExceeded(RekognitionError):
    """The overall deadline passed (queued, throttled or waiting on a job that hangs)."""

    code = "rekognition_deadline"


class ResultsUnavailable(RekognitionError):
    """The job id is unknown or its results expired (Rekognition keeps them 7 days)."""

    code = "rekognition_results_unavailable"


class ServiceError(RekognitionError):
    """Any other error the service returned; the AWS error code is kept for support."""

    code = "rekognition_service_error"

    def __init__(self, message: str, *, job_id: str | None = None, aws_code: str = ""):
        super().__init__(message, job_id=job_id)
        self.aws_code = aws_code


class VideoRejected(VideoError):
    """Rekognition (or our pre-check of its limits) will not take this video: wrong codec
    or container, too large, too long. Bad input, so a VideoError the API maps to 4xx."""

    code = "video_rejected_by_rekognition"
