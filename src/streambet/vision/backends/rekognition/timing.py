"""Time for the backend: a clock that can be replaced in tests, an overall deadline, and
exponential backoff with jitter. Every wait in the package goes through `Clock.sleep`, so
a cancel flag is honoured within a fraction of a second and tests never really sleep."""

from __future__ import annotations

import random
import time
from dataclasses import dataclass, field
from typing import Protocol

from streambet.vision.backends import CancelFlag
from streambet.vision.errors import AnalysisCanceled

_SLICE_SECONDS = 0.25  # how often a plain sleep looks at the cancel flag


class Clock(Protocol):
    def monotonic(self) -> float: ...

    def sleep(self, seconds: float, cancel: CancelFlag | None = None) -> None:
        """Wait; raise AnalysisCanceled as soon as `cancel` is set."""
        ...


def check_cancel(cancel: CancelFlag | None) -> None:
    if cancel is not None and cancel.is_set():
        raise AnalysisCanceled("analysis canceled")


class RealClock:
    def monotonic(self) -> float:
        return time.monotonic()

    def sleep(self, seconds: float, cancel: CancelFlag | None = None) -> None:
        end = time.monotonic() + max(0.0, seconds)
        # A threading.Event wakes us the moment it is set; any other flag is looked at
        # every _SLICE_SECONDS.
        wait = getattr(cancel, "wait", None)
        while True:
            check_cancel(cancel)
            remaining = end - time.monotonic()
            if remaining <= 0:
                return
            if callable(wait):
                wait(min(remaining, 1.0))
            else:
                time.sleep(min(remaining, _SLICE_SECONDS))


@dataclass
class Deadline:
    clock: Clock
    seconds: float
    started: float = field(init=False)

    def __post_init__(self) -> None:
        self.started = self.clock.monotonic()

    def elapsed(self) -> float:
        return self.clock.monotonic() - self.started

    def remaining(self) -> float:
        return self.seconds - self.elapsed()

    def expired(self) -> bool:
        return self.remaining() <= 0


@dataclass
class Backoff:
    """Exponential backoff with "equal jitter": half the step is fixed, half random, so
    waits grow but many workers retrying together spread out instead of stampeding."""

    initial: float
    cap: float
    rng: random.Random
    attempt: int = 0

    def next(self) -> float:
        step: float = min(self.cap, self.initial * 2.0**self.attempt)
        self.attempt += 1
        return step / 2 + self.rng.uniform(0, step / 2)

    def reset(self) -> None:
        self.attempt = 0
