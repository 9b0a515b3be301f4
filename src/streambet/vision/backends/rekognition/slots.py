"""The local queue in front of Rekognition's concurrent-job limit (20 per account by
default, no queueing on AWS's side).

Within one process, a counting semaphore per (account profile, region) keeps us from
starting more jobs than the limit: extra analyses wait here, in order of arrival, instead
of failing. Across processes the limit is enforced by AWS, and a LimitExceededException
on start is waited out with backoff by the caller (calls.call_aws `wait_codes`).
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from streambet.vision.backends import CancelFlag
from streambet.vision.backends.rekognition.errors import DeadlineExceeded
from streambet.vision.backends.rekognition.timing import Deadline, check_cancel

_POLL_SECONDS = 0.2  # how often a queued analysis looks at its cancel flag and deadline


class JobSlots:
    def __init__(self, size: int) -> None:
        if size < 1:
            raise ValueError("a job queue needs at least one slot")
        self.size = size
        self._free = threading.Semaphore(size)
        self._lock = threading.Lock()
        self._in_use = 0
        self._waiting = 0

    @property
    def in_use(self) -> int:
        return self._in_use

    @property
    def waiting(self) -> int:
        """Analyses queued here for a slot (the local queue's depth)."""
        return self._waiting

    def acquire(
        self,
        deadline: Deadline,
        cancel: CancelFlag | None = None,
        on_queued: Callable[[], None] | None = None,
    ) -> None:
        if not self._free.acquire(blocking=False):
            with self._lock:
                self._waiting += 1
            try:
                if on_queued is not None:
                    on_queued()
                while not self._free.acquire(timeout=_POLL_SECONDS):
                    check_cancel(cancel)
                    if deadline.expired():
                        raise DeadlineExceeded(
                            f"Waited the whole {deadline.seconds:.0f} s deadline for one of"
                            f" the {self.size} Rekognition job slots of this process."
                        )
            finally:
                with self._lock:
                    self._waiting -= 1
        with self._lock:
            self._in_use += 1

    def release(self) -> None:
        with self._lock:
            self._in_use -= 1
        self._free.release()


_shared: dict[tuple[str, str], JobSlots] = {}
_shared_lock = threading.Lock()


def shared_slots(account: str, region: str, size: int) -> JobSlots:
    """The process-wide queue for one account and region (created on first use)."""
    with _shared_lock:
        slots = _shared.get((account, region))
        if slots is None or slots.size != size:
            slots = _shared[(account, region)] = JobSlots(size)
        return slots
