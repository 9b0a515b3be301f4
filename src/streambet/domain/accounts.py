"""Account rules: roles, and what a valid e-mail, display name and password look like."""

from __future__ import annotations

import re
from enum import StrEnum

from streambet.domain.errors import ValidationFailed


class Role(StrEnum):
    BETTOR = "bettor"
    OPERATOR = "operator"
    ADMIN = "admin"


# Deliberately loose: one @, no spaces, a dot in the domain. Deliverability is not our job.
_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]+$")
MIN_PASSWORD = 8
MAX_PASSWORD = 256


def normalise_email(email: str) -> str:
    email = email.strip().lower()
    if len(email) > 254 or not _EMAIL.match(email):
        raise ValidationFailed("That is not a valid e-mail address.", details={"field": "email"})
    return email


def check_password(password: str) -> None:
    if not MIN_PASSWORD <= len(password) <= MAX_PASSWORD:
        raise ValidationFailed(
            f"Passwords need {MIN_PASSWORD} to {MAX_PASSWORD} characters.",
            details={"field": "password"},
        )


def check_display_name(name: str) -> str:
    name = name.strip()
    if not 1 <= len(name) <= 64 or any(not ch.isprintable() for ch in name):
        raise ValidationFailed(
            "Display names need 1 to 64 printable characters.", details={"field": "display_name"}
        )
    return name


def parse_role(value: str) -> Role:
    try:
        return Role(value)
    except ValueError:
        raise ValidationFailed(
            f"Unknown role {value!r}; expected one of {', '.join(r.value for r in Role)}.",
            details={"field": "role"},
        ) from None
