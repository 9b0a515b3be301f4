"""Twitch Predictions' limits, and a live market fitted into them (mirroring is optional per
stream: services/twitch_mirror.py)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from streambet.domain.errors import ValidationFailed

TITLE_MAX = 45
OUTCOME_TITLE_MAX = 25
OUTCOMES_MIN, OUTCOMES_MAX = 2, 10
WINDOW_MIN_S, WINDOW_MAX_S = 30, 1800


class Mirror(StrEnum):
    """Our record of one market's prediction. ACTIVE/LOCKED as on Twitch; SKIPPED: not sent
    (the channel had a prediction running, or the market does not fit); FAILED: Twitch
    refused or did not answer (the reason is on the row)."""

    SENDING = "sending"  # claimed by a worker, the request on its way
    ACTIVE = "active"
    LOCKED = "locked"
    RESOLVED = "resolved"
    CANCELED = "canceled"
    SKIPPED = "skipped"
    FAILED = "failed"


RUNNING = (Mirror.ACTIVE.value, Mirror.LOCKED.value)


def shorten(text: str, limit: int) -> str:
    """Whole words where possible, an ellipsis when cut."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    if text[len(cut)] != " " and cut.rfind(" ") >= limit // 2:  # mid-word: drop that word
        cut = cut[: cut.rfind(" ")]
    return cut.rstrip() + "…"


@dataclass(frozen=True)
class PredictionDraft:
    title: str
    outcomes: tuple[str, ...]
    window_s: int


def prediction_of(question: str, outcomes: Sequence[str], betting_s: float) -> PredictionDraft:
    """The market as Twitch takes it: titles shortened, the window its betting time clamped
    to 30-1800 s. Outcome titles must stay distinct after shortening."""
    if not OUTCOMES_MIN <= len(outcomes) <= OUTCOMES_MAX:
        raise ValidationFailed(
            f"Twitch predictions have {OUTCOMES_MIN}-{OUTCOMES_MAX} outcomes, not {len(outcomes)}."
        )
    titles = tuple(shorten(o, OUTCOME_TITLE_MAX) for o in outcomes)
    if len(set(titles)) != len(titles):
        raise ValidationFailed("Outcome titles are not distinct once shortened for Twitch.")
    window = min(WINDOW_MAX_S, max(WINDOW_MIN_S, round(betting_s)))
    return PredictionDraft(shorten(question, TITLE_MAX), titles, window)
