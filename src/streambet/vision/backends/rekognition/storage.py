"""The temporary S3 object Rekognition reads: upload (multipart above a threshold,
server-side encryption always on) and delete (the original's privacy rule)."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from boto3.s3.transfer import TransferConfig, create_transfer_manager
from s3transfer.exceptions import CancelledError
from s3transfer.subscribers import BaseSubscriber

from streambet.vision.backends import CancelFlag
from streambet.vision.backends.rekognition.errors import DeadlineExceeded
from streambet.vision.backends.rekognition.timing import Deadline
from streambet.vision.errors import AnalysisCanceled

log = logging.getLogger(__name__)

# Containers Rekognition Video reads; anything else is uploaded without a suffix.
_SUFFIXES = (".mp4", ".mov", ".avi")
_CANCEL_POLL_SECONDS = 0.05


class _Progress(BaseSubscriber):  # type: ignore[misc]
    def __init__(self, on_bytes: Callable[[int], None]) -> None:
        self.on_bytes = on_bytes

    def on_progress(self, future: Any, bytes_transferred: int, **kwargs: Any) -> None:
        self.on_bytes(bytes_transferred)


def object_key(prefix: str, token: str, path: Path) -> str:
    """Derived from the request token, which hashes the job, the file's content and the
    options: two different analyses never share a key, and a retried one reuses its own
    (which StartLabelDetection's idempotency needs: same token, same parameters)."""
    suffix = path.suffix.lower() if path.suffix.lower() in _SUFFIXES else ""
    return f"{prefix}rekognition/{token}{suffix}"


def sse_args(kms_key_id: str) -> dict[str, str]:
    if kms_key_id:
        return {"ServerSideEncryption": "aws:kms", "SSEKMSKeyId": kms_key_id}
    return {"ServerSideEncryption": "AES256"}


class VideoStore:
    def __init__(
        self,
        s3: Any,
        bucket: str,
        *,
        kms_key_id: str = "",
        multipart_threshold: int = 64 * 1024 * 1024,
        multipart_chunksize: int = 16 * 1024 * 1024,
    ) -> None:
        self.s3 = s3
        self.bucket = bucket
        self.extra_args = sse_args(kms_key_id)
        self.transfer = TransferConfig(
            multipart_threshold=multipart_threshold,
            multipart_chunksize=multipart_chunksize,
            max_concurrency=4,
        )

    def upload(
        self,
        path: Path,
        key: str,
        progress: Callable[[float], None] | None = None,
        cancel: CancelFlag | None = None,
        deadline: Deadline | None = None,
    ) -> None:
        """Raises ClientError/BotoCoreError as boto3 does (the caller translates them),
        AnalysisCanceled or DeadlineExceeded. Both stops go through s3transfer's own
        cancellation, which closes its part readers and aborts the multipart upload."""
        total = max(1, path.stat().st_size)
        # s3transfer's threads count bytes (negative on a retried part); only this
        # thread calls `progress`, so callers never hear from a foreign thread.
        sent = [0]
        lock = threading.Lock()
        reported = 0

        def on_bytes(n: int) -> None:
            with lock:
                sent[0] += n

        with create_transfer_manager(self.s3, self.transfer) as manager:
            future = manager.upload(
                str(path),
                self.bucket,
                key,
                extra_args=self.extra_args,
                subscribers=[_Progress(on_bytes)],
            )
            late = False
            while not future.done():
                if progress is not None and sent[0] != reported:
                    reported = sent[0]
                    progress(min(1.0, reported / total))
                late = deadline is not None and deadline.expired()
                if late or (cancel is not None and cancel.is_set()):
                    future.cancel()
                    break
                time.sleep(_CANCEL_POLL_SECONDS)
            try:
                future.result()
            except CancelledError:
                if late and deadline is not None:
                    raise DeadlineExceeded(
                        f"The upload to S3 did not finish within the {deadline.seconds:.0f} s"
                        " deadline."
                    ) from None
                raise AnalysisCanceled("analysis canceled during upload") from None

    def delete(self, key: str) -> bool:
        """Best effort, never raises: it runs on every exit path, often while another
        error is on its way up. A failure is logged for the operator (a lifecycle rule on
        the prefix is the backstop) and reported as False."""
        try:
            self.s3.delete_object(Bucket=self.bucket, Key=key)
        except Exception as exc:
            log.error("could not delete s3://%s/%s: %s", self.bucket, key, exc)
            return False
        return True
