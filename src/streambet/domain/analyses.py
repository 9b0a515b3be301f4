"""Analysis job rules: the status words and which changes between them are allowed.

queued -> running -> succeeded | failed | canceled. A running job goes back to queued when
its consumer stops or its lease lapses (the process died); a queued job is canceled before
it starts, or fails without running once it has used up its attempts. Finished jobs never
change again. An upload may be `held` first: it waits, unanalysed, while markets are
opened on its footage, and is queued when its owner starts it or a market on it locks
(so nobody, not even the engine, knows the answer before betting opens).
"""

from __future__ import annotations

from enum import StrEnum

from streambet.domain.errors import Conflict


class AnalysisStatus(StrEnum):
    HELD = "held"
    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELED = "canceled"

    @property
    def finished(self) -> bool:
        return self in TERMINAL


S = AnalysisStatus
TERMINAL = frozenset({S.SUCCEEDED, S.FAILED, S.CANCELED})
# The engine has not looked at the footage yet (a market opened now is fair on it).
NOT_STARTED = frozenset({S.HELD, S.QUEUED})
TRANSITIONS: dict[AnalysisStatus, frozenset[AnalysisStatus]] = {
    S.HELD: frozenset({S.QUEUED, S.CANCELED}),
    S.QUEUED: frozenset({S.RUNNING, S.CANCELED, S.FAILED}),
    S.RUNNING: frozenset({S.SUCCEEDED, S.FAILED, S.CANCELED, S.QUEUED}),
    S.SUCCEEDED: frozenset(),
    S.FAILED: frozenset(),
    S.CANCELED: frozenset(),
}


def check_transition(current: str, target: AnalysisStatus) -> AnalysisStatus:
    """Returns `target` when `current` may become it; a finished job is a conflict."""
    status = AnalysisStatus(current)
    if target not in TRANSITIONS[status]:
        if status.finished:
            raise Conflict(f"The analysis has already {status.value}.", details={"status": status})
        raise Conflict(
            f"A {status.value} analysis cannot become {target.value}.",
            code="invalid_transition",
            details={"status": status.value, "target": target.value},
        )
    return target
