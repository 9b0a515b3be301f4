"""Rules for uploaded file names: kept for display only, never used as a path.

A name that tries to reach outside a folder, or that hides what it is behind invisible or
look-alike characters, is refused rather than quietly repaired: the client is told.
"""

from __future__ import annotations

import unicodedata

from streambet.domain.errors import ValidationFailed

MAX_NAME = 255
# Bidirectional overrides and isolates ("clip\u202emp4.exe" shows as "clipexe.4pm"), and
# zero-width characters that make two different names look the same.
_INVISIBLE = {
    *(chr(c) for c in range(0x202A, 0x202F)),
    *(chr(c) for c in range(0x2066, 0x206A)),
    "\u200b",
    "\u200c",
    "\u200d",
    "\u200e",
    "\u200f",
    "\u2060",
    "\ufeff",
}


def _refuse(problem: str) -> ValidationFailed:
    return ValidationFailed(
        f"The file name is not acceptable: {problem}.",
        details={"field": "file"},
        code="invalid_file_name",
    )


def clean_file_name(raw: str) -> str:
    """Returns the name as stored, or raises ValidationFailed saying what is wrong with it."""
    name = unicodedata.normalize("NFC", raw).strip()
    if not name:
        raise ValidationFailed(
            "Choose a video file to upload.", details={"field": "file"}, code="missing_file"
        )
    if len(name) > MAX_NAME:
        raise _refuse(f"it is longer than {MAX_NAME} characters")
    if any(ch in _INVISIBLE for ch in name):
        raise _refuse("it contains invisible direction or zero-width characters")
    if any(unicodedata.category(ch).startswith("C") for ch in name):
        raise _refuse("it contains control characters")
    # Compatibility forms turn look-alikes (full-width solidus, one-dot leader) into the
    # characters they imitate; check the path rules on that form too.
    folded = unicodedata.normalize("NFKC", name)
    for form in (name, folded):
        if "/" in form or "\\" in form:
            raise _refuse("it contains a folder separator")
        if ".." in form:
            raise _refuse("it contains '..'")
        if form.startswith("."):
            raise _refuse("it starts with a dot")
        if ":" in form:
            raise _refuse("it contains ':'")
    return name
