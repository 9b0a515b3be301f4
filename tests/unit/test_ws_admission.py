"""WebSocket caps: total (503), per address and anonymous (429), and the move of a page
that authenticates out of the anonymous pool."""

from __future__ import annotations

import resource

import pytest

from streambet.api.sockets.admission import Admission, Limits, Refusal, Ticket, descriptor_budget
from streambet.config import ConfigError, load_settings


def _ticket(admission: Admission, address: str, *, authenticated: bool = False) -> Ticket:
    admitted = admission.admit(address, authenticated=authenticated)
    assert isinstance(admitted, Ticket), admitted
    return admitted


def _refusal(admission: Admission, address: str, *, authenticated: bool = False) -> Refusal:
    admitted = admission.admit(address, authenticated=authenticated)
    assert isinstance(admitted, Refusal), admitted
    return admitted


def test_each_cap_refuses_with_its_own_answer() -> None:
    admission = Admission(Limits(total=4, per_address=2, anonymous=2))
    _ticket(admission, "a")
    _ticket(admission, "a", authenticated=True)
    per_address = _refusal(admission, "a", authenticated=True)
    assert (per_address.status, per_address.code, per_address.limit) == (
        429,
        "too_many_websockets_from_address",
        2,
    )
    _ticket(admission, "b")
    anonymous = _refusal(admission, "c")
    assert (anonymous.status, anonymous.code) == (429, "too_many_anonymous_websockets")
    _ticket(admission, "c", authenticated=True)
    full = _refusal(admission, "d", authenticated=True)
    assert (full.status, full.code, full.limit) == (503, "too_many_websockets", 4)
    assert full.retry_after > 0
    assert admission.counts() == {"sockets": 4, "anonymous": 2, "addresses": 3}


def test_authenticating_leaves_the_anonymous_pool_and_release_gives_back() -> None:
    admission = Admission(Limits(total=10, per_address=10, anonymous=1))
    page = _ticket(admission, "a")
    _refusal(admission, "b")
    page.set_authenticated(True)
    other = _ticket(admission, "b")
    page.set_authenticated(False)  # a bad token later: back to anonymous, over the cap
    assert admission.counts()["anonymous"] == 2
    _refusal(admission, "c")
    other.release()
    other.release()  # idempotent
    page.release()
    page.set_authenticated(True)  # after release: no effect
    assert admission.counts() == {"sockets": 0, "anonymous": 0, "addresses": 0}
    _ticket(admission, "c")


def test_the_descriptor_limit_bounds_the_total() -> None:
    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    assert descriptor_budget(10) == 10
    if soft != resource.RLIM_INFINITY:
        assert descriptor_budget(10 * soft) == soft * 3 // 4


@pytest.mark.parametrize(
    "variable", ["WS_MAX_SOCKETS", "WS_MAX_PER_ADDRESS", "WS_MAX_ANONYMOUS", "WS_PING_SECONDS"]
)
def test_the_caps_are_validated_settings(variable: str) -> None:
    assert load_settings(environ={f"STREAMBET_{variable}": "7"}).__dict__[variable.lower()] == 7
    with pytest.raises(ConfigError, match=f"STREAMBET_{variable}"):
        load_settings(environ={f"STREAMBET_{variable}": "0"})
