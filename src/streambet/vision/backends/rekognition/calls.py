"""One way to call AWS: retry what is transient (throttling, provisioned throughput, 5xx,
network blips) with backoff inside the overall deadline, and turn everything else into a
typed error with a message an operator can act on. AWS error messages are kept; they
never contain credentials."""

from __future__ import annotations

import logging
import random
from collections.abc import Callable, Iterable
from typing import TypeVar

from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    ConnectionError,
    NoCredentialsError,
    PartialCredentialsError,
)

from streambet.vision.backends import CancelFlag
from streambet.vision.backends.rekognition.errors import (
    AccessDenied,
    CredentialsProblem,
    DeadlineExceeded,
    ResultsUnavailable,
    ServiceError,
    VideoRejected,
)
from streambet.vision.backends.rekognition.timing import Backoff, Clock, Deadline, check_cancel

log = logging.getLogger(__name__)
T = TypeVar("T")

TRANSIENT_CODES = frozenset(
    {
        "ThrottlingException",
        "ProvisionedThroughputExceededException",
        "InternalServerError",
        "ServiceUnavailable",
        "ServiceUnavailableException",
        "RequestLimitExceeded",
        "SlowDown",
    }
)
CREDENTIAL_CODES = frozenset(
    {
        "ExpiredToken",
        "ExpiredTokenException",
        "RequestExpired",
        "InvalidClientTokenId",
        "UnrecognizedClientException",
        "InvalidAccessKeyId",
        "SignatureDoesNotMatch",
        "InvalidToken",
    }
)
ACCESS_CODES = frozenset({"AccessDenied", "AccessDeniedException", "AllAccessDisabled"})
VIDEO_CODES = frozenset({"InvalidS3ObjectException", "VideoTooLargeException"})
MISSING_CODES = frozenset({"ResourceNotFoundException", "InvalidPaginationTokenException"})


def error_code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


def translate(exc: Exception, action: str, job_id: str | None = None) -> Exception:
    """`action` is the IAM action, e.g. "rekognition:StartLabelDetection"."""
    if isinstance(exc, NoCredentialsError | PartialCredentialsError):
        return CredentialsProblem(
            f"No usable AWS credentials for {action}: provide them through the standard AWS"
            " chain (environment, shared config/profile, SSO, or an instance/task role).",
            job_id=job_id,
        )
    if not isinstance(exc, ClientError):
        return ServiceError(f"{action} failed: {type(exc).__name__}: {exc}", job_id=job_id)
    code = error_code(exc)
    aws_message = str(exc.response.get("Error", {}).get("Message", "")).strip()
    detail = f" ({code}: {aws_message})" if aws_message else f" ({code})"
    if code in CREDENTIAL_CODES:
        return CredentialsProblem(
            f"AWS rejected the credentials for {action}{detail}; refresh them in the"
            " standard AWS chain (expired session token or wrong key).",
            job_id=job_id,
        )
    if code in ACCESS_CODES:
        return AccessDenied(
            f"Permission denied for {action}{detail}; grant it to the role running"
            " StreamBet (see the README's Rekognition section for the full list).",
            job_id=job_id,
        )
    if code in VIDEO_CODES:
        return VideoRejected(f"Rekognition cannot analyse this video{detail}.")
    if code in MISSING_CODES:
        return ResultsUnavailable(
            f"Rekognition has no results for this job{detail}; results expire 7 days after"
            " the job ends, so the analysis must be run again.",
            job_id=job_id,
        )
    if code == "IdempotentParameterMismatchException":
        return ServiceError(
            f"{action}: the ClientRequestToken was already used with different parameters{detail}.",
            job_id=job_id,
            aws_code=code,
        )
    return ServiceError(f"{action} failed{detail}.", job_id=job_id, aws_code=code)


def call_aws(
    fn: Callable[[], T],
    action: str,
    *,
    deadline: Deadline,
    clock: Clock,
    rng: random.Random,
    cancel: CancelFlag | None = None,
    job_id: str | None = None,
    wait_codes: Iterable[str] = (),
    on_wait: Callable[[str], None] | None = None,
    initial_delay: float = 1.0,
    max_delay: float = 30.0,
) -> T:
    """Call `fn` until it succeeds, a non-transient error occurs, or the deadline passes.

    `wait_codes` are extra error codes to wait out (LimitExceededException on start:
    "queue locally rather than fail"); `on_wait(code)` hears about each wait.
    """
    backoff = Backoff(initial_delay, max_delay, rng)
    retry_codes = TRANSIENT_CODES | frozenset(wait_codes)
    while True:
        check_cancel(cancel)
        try:
            return fn()
        except ClientError as exc:
            code = error_code(exc)
            if code not in retry_codes:
                raise translate(exc, action, job_id) from exc
            reason = code
        except ConnectionError as exc:  # endpoint unreachable, timeouts
            reason = type(exc).__name__
        except (NoCredentialsError, PartialCredentialsError) as exc:
            raise translate(exc, action, job_id) from exc
        except BotoCoreError as exc:
            raise translate(exc, action, job_id) from exc
        delay = backoff.next()
        if deadline.remaining() <= delay:
            raise DeadlineExceeded(
                f"{action} still failing with {reason} when the {deadline.seconds:.0f} s"
                " deadline ran out.",
                job_id=job_id,
            )
        log.info("%s: %s, retrying in %.1f s", action, reason, delay)
        if on_wait is not None:
            on_wait(reason)
        clock.sleep(delay, cancel)
