"""Analysis statuses: the domain's words and the changes allowed between them."""

from __future__ import annotations

import pytest

from streambet.domain.analyses import TRANSITIONS, AnalysisStatus, check_transition
from streambet.domain.errors import Conflict

S = AnalysisStatus


def test_a_job_runs_once_and_finishes_once() -> None:
    assert check_transition("queued", S.RUNNING) is S.RUNNING
    for end in (S.SUCCEEDED, S.FAILED, S.CANCELED, S.QUEUED):  # queued: handed back
        assert check_transition("running", end) is end
    assert check_transition("queued", S.CANCELED) is S.CANCELED
    with pytest.raises(Conflict, match="cannot become"):
        check_transition("queued", S.SUCCEEDED)  # never without running


@pytest.mark.parametrize("finished", [S.SUCCEEDED, S.FAILED, S.CANCELED])
def test_a_finished_job_never_changes(finished: AnalysisStatus) -> None:
    assert finished.finished and TRANSITIONS[finished] == frozenset()
    with pytest.raises(Conflict, match=f"already {finished.value}") as caught:
        check_transition(finished.value, S.CANCELED)
    assert caught.value.details == {"status": finished}
    assert not S.QUEUED.finished and not S.RUNNING.finished
