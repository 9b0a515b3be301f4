"""Agreement-mode settings: off by default; a second engine must be known and different."""

from __future__ import annotations

import pytest

from streambet.config import ConfigError, load_settings


def test_agreement_mode_is_off_by_default() -> None:
    s = load_settings(environ={})
    assert s.second_opinion_backend == "" and s.require_agreement is False


def test_a_second_opinion_is_read_from_the_environment() -> None:
    s = load_settings(
        environ={"STREAMBET_SECOND_OPINION_BACKEND": "fake", "STREAMBET_REQUIRE_AGREEMENT": "1"}
    )
    assert s.second_opinion_backend == "fake" and s.require_agreement is True


@pytest.mark.parametrize(
    ("backend", "needle"),
    [("local", "must differ"), ("magic", "expected one of")],
)
def test_a_bad_second_opinion_is_refused(backend: str, needle: str) -> None:
    with pytest.raises(ConfigError, match=f"STREAMBET_SECOND_OPINION_BACKEND.*{needle}"):
        load_settings(environ={"STREAMBET_SECOND_OPINION_BACKEND": backend})
