"""Account rules: roles, and what a valid e-mail, display name and password look like."""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from streambet.domain.errors import PermissionDenied, ValidationFailed


class Role(StrEnum):
    """admin > operator > bettor: a role may do what every role below it may."""

    BETTOR = "bettor"
    OPERATOR = "operator"
    ADMIN = "admin"

    def at_least(self, minimum: Role) -> bool:
        return RANK[self] >= RANK[minimum]


RANK = {Role.BETTOR: 0, Role.OPERATOR: 1, Role.ADMIN: 2}


@dataclass(frozen=True)
class Principal:
    """Who is making a request."""

    user_id: int
    email: str
    display_name: str
    role: Role


def check_role(role: Role, minimum: Role) -> None:
    if not role.at_least(minimum):
        raise PermissionDenied(f"This needs the {minimum.value} role.")


def check_may_wager(role: Role) -> None:
    """Whoever creates or resolves markets must not hold positions in them."""
    if role is not Role.BETTOR:
        raise PermissionDenied("Operators and admins cannot place wagers.")


# Deliberately loose: one @, no spaces, a dot in the domain. Deliverability is not our job.
_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]+$")
MIN_PASSWORD = 8
MAX_PASSWORD = 256


def normalise_email(email: str) -> str:
    email = email.strip().lower()
    if len(email) > 254 or not _EMAIL.match(email):
        raise ValidationFailed("That is not a valid e-mail address.", details={"field": "email"})
    return email


# zxcvbn's scores: 0 "too guessable" (the common-password lists it ships), 1 "very
# guessable" (under a million guesses); from 2 on it takes an online attacker far longer
# than the login throttle lets them try.
MIN_PASSWORD_SCORE = 2
_STRENGTH_CHARS = 100  # zxcvbn's cost grows with length; the head decides anyway


def check_password(password: str, *, user_inputs: tuple[str, ...] = ()) -> None:
    """Length, then strength as zxcvbn estimates it offline (its packaged frequency lists
    of common passwords, words and names, keyboard patterns, dates, and `user_inputs` such
    as the e-mail): common and very weak passwords are refused."""
    if not MIN_PASSWORD <= len(password) <= MAX_PASSWORD:
        raise ValidationFailed(
            f"Passwords need {MIN_PASSWORD} to {MAX_PASSWORD} characters.",
            details={"field": "password"},
        )
    from zxcvbn import zxcvbn  # loads its word lists: only when a password is checked

    found = zxcvbn(password[:_STRENGTH_CHARS], user_inputs=[u for u in user_inputs if u])
    if found["score"] < MIN_PASSWORD_SCORE:
        hint = found["feedback"].get("warning") or "It is too easy to guess."
        raise ValidationFailed(
            f"That password is too common or too easy to guess: {hint} Try a few unrelated words.",
            details={"field": "password"},
            code="weak_password",
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
