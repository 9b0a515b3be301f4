"""Retry, backoff, deadline and error translation, with a fake clock (no sleeping)."""

from __future__ import annotations

import random
import threading
from typing import Any

import pytest
from botocore.exceptions import ClientError, EndpointConnectionError, NoCredentialsError

from streambet.vision.backends.rekognition.calls import call_aws
from streambet.vision.backends.rekognition.errors import (
    AccessDenied,
    CredentialsProblem,
    DeadlineExceeded,
    ServiceError,
)
from streambet.vision.backends.rekognition.slots import JobSlots
from streambet.vision.backends.rekognition.timing import Backoff, Deadline, RealClock
from streambet.vision.errors import AnalysisCanceled


class Clock:
    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float, cancel: Any = None) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def error(code: str, message: str = "msg") -> ClientError:
    return ClientError({"Error": {"Code": code, "Message": message}}, "StartLabelDetection")


def failing(*errors: Exception, result: Any = "ok") -> Any:
    queue = list(errors)

    def fn() -> Any:
        if queue:
            raise queue.pop(0)
        return result

    return fn


def call(fn: Any, clock: Clock, seconds: float = 600, **kwargs: Any) -> Any:
    return call_aws(
        fn,
        "rekognition:StartLabelDetection",
        deadline=Deadline(clock, seconds),
        clock=clock,
        rng=random.Random(1),
        **kwargs,
    )


def test_backoff_grows_with_jitter_and_stays_under_the_cap() -> None:
    backoff = Backoff(1.0, 8.0, random.Random(3))
    delays = [backoff.next() for _ in range(8)]
    for i, d in enumerate(delays):
        step = min(8.0, 2.0**i)
        assert step / 2 <= d <= step
    assert len(set(delays)) == len(delays)  # jittered


def test_transient_errors_and_network_blips_are_retried() -> None:
    clock = Clock()
    fn = failing(
        error("ThrottlingException"),
        error("ProvisionedThroughputExceededException"),
        EndpointConnectionError(endpoint_url="https://rekognition"),
    )
    assert call(fn, clock) == "ok"
    assert len(clock.sleeps) == 3


def test_wait_codes_are_waited_out_only_when_asked() -> None:
    clock = Clock()
    with pytest.raises(ServiceError, match="LimitExceededException"):
        call(failing(error("LimitExceededException")), clock)
    waits: list[str] = []
    fn = failing(error("LimitExceededException"))
    assert call(fn, clock, wait_codes=("LimitExceededException",), on_wait=waits.append) == "ok"
    assert waits == ["LimitExceededException"]


def test_deadline_stops_retrying() -> None:
    clock = Clock()
    fn = failing(*[error("ThrottlingException") for _ in range(100)])
    with pytest.raises(DeadlineExceeded, match="ThrottlingException"):
        call(fn, clock, seconds=30)
    assert clock.now <= 30


def test_cancel_stops_before_the_next_attempt() -> None:
    cancel = threading.Event()
    cancel.set()
    with pytest.raises(AnalysisCanceled):
        call(failing(), Clock(), cancel=cancel)


@pytest.mark.parametrize(
    ("exc", "kind", "words"),
    [
        (error("AccessDeniedException"), AccessDenied, "rekognition:StartLabelDetection"),
        (error("ExpiredTokenException"), CredentialsProblem, "expired"),
        (NoCredentialsError(), CredentialsProblem, "standard AWS chain"),
        (error("InvalidParameterException", "bad"), ServiceError, "bad"),
    ],
)
def test_errors_are_translated_with_clear_messages(
    exc: Exception, kind: type[Exception], words: str
) -> None:
    with pytest.raises(kind, match=words):
        call(failing(exc), Clock())


def test_job_slots_queue_then_give_way() -> None:
    clock = Clock()
    slots = JobSlots(1)
    slots.acquire(Deadline(clock, 60))
    queued: list[bool] = []
    deadline = Deadline(clock, 60)
    clock.now += 61  # the second caller's deadline has passed while it waits
    with pytest.raises(DeadlineExceeded):
        slots.acquire(deadline, on_queued=lambda: queued.append(True))
    assert queued == [True]
    cancel = threading.Event()
    cancel.set()
    with pytest.raises(AnalysisCanceled):
        slots.acquire(Deadline(clock, 60), cancel)
    slots.release()
    slots.acquire(Deadline(clock, 60))  # free again
    assert slots.in_use == 1


def test_real_clock_sleep_wakes_up_for_a_cancel_from_another_thread() -> None:
    cancel = threading.Event()
    timer = threading.Timer(0.05, cancel.set)
    timer.start()
    with pytest.raises(AnalysisCanceled):
        RealClock().sleep(3600, cancel)  # would hang the test if the flag were ignored
    timer.join()
