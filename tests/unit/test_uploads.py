from __future__ import annotations

import pytest

from streambet.domain.errors import ValidationFailed
from streambet.domain.uploads import clean_file_name


@pytest.mark.parametrize(
    "name", ["clip.mp4", "Café au lait.MOV", "ビデオ 01.avi", "match-final_2024 (1).mkv"]
)
def test_ordinary_names_are_kept(name: str) -> None:
    assert clean_file_name(name) == name


def test_names_are_trimmed_and_composed() -> None:
    assert clean_file_name("  Cafe\u0301.mp4 ") == "Café.mp4"


@pytest.mark.parametrize(
    "name",
    [
        "../secret.mp4",
        "a/b.mp4",
        "..\\..\\x.mp4",
        "..／x.mp4",  # full-width solidus
        "\u2025／x.mp4",  # two-dot leader
        "clip\u202emp4.exe",
        "c\u200dlip.mp4",
        "clip\x00.mp4",
        "clip\n.mp4",
        ".hidden.mp4",
        "C:clip.mp4",
        "x" * 256,
    ],
)
def test_tricks_are_refused(name: str) -> None:
    with pytest.raises(ValidationFailed) as caught:
        clean_file_name(name)
    assert caught.value.code == "invalid_file_name"


def test_an_empty_name_means_no_file() -> None:
    with pytest.raises(ValidationFailed) as caught:
        clean_file_name("   ")
    assert caught.value.code == "missing_file"
