"""Set-up steps the trust tests (issue 16) share: a held clip the fake engine "sees" from a
script, a cat market on it, stakes, and deciding it as the operator; plus screenshots
under var/screenshots/ (gitignored; the ones the issue asks for are copied into
docs/screenshots/ by hand)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

from tests.e2e.browser.conftest import LiveServer, call
from tests.support.api import Actor, start, upload

SHOTS = Path(__file__).resolve().parents[3] / "var" / "screenshots"
# Sampled at 2 a second, a script range gives a detection every 500 ms inside it.
CAT_SEEN = [{"name": "Cat", "start_ms": 1000, "end_ms": 3000, "confidence": 93}]
CAT_UNSURE = [{"name": "Cat", "start_ms": 1000, "end_ms": 2000, "confidence": 65}]


def shot(page: Any, name: str) -> Path:
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = SHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


@lru_cache(maxsize=1)
def clip_bytes() -> bytes:
    """Real footage: coffee for a second, then the cat for three."""
    import tempfile

    from tests.support.clips import make_clip

    with tempfile.TemporaryDirectory() as tmp:
        return make_clip(
            Path(tmp) / "cat.mp4", [("coffee", 1), ("chelsea", 3)], fps=10
        ).read_bytes()


def cat_market(
    server: LiveServer,
    operator: Actor,
    script: list[dict[str, Any]],
    *,
    question: str = "Will a Cat appear?",
    **terms: Any,
) -> tuple[dict[str, Any], str]:
    """A market ("YES" on a Cat at 80%+, else "NO") on a clip held for betting; returns the
    market and its analysis id."""
    analysis_id = upload(server.app, operator, clip_bytes(), script, hold=True)
    market = call(
        server,
        "POST",
        "/api/markets",
        operator.token,
        json={
            "question": question,
            "analysis_id": analysis_id,
            "outcomes": [
                {"title": "YES", "criteria": {"label": "Cat", "min_confidence": 80}},
                {"title": "NO"},
            ],
            **terms,
        },
    )
    return dict(market), analysis_id


def stake(server: LiveServer, token: str, market: dict[str, Any], title: str, amount: int) -> None:
    outcome = next(o["id"] for o in market["outcomes"] if o["title"] == title)
    call(
        server,
        "POST",
        f"/api/markets/{market['id']}/wagers",
        token,
        json={"outcome_id": outcome, "stake": amount},
    )


def decide(server: LiveServer, operator: Actor, market: dict[str, Any], analysis_id: str) -> Any:
    """Locks the market, has the engine look at its clip (the tests' queue runs it there and
    then) and settles it from that evidence."""
    call(server, "POST", f"/api/markets/{market['id']}/lock", operator.token)
    start(server.app, operator, analysis_id)
    return call(server, "POST", f"/api/markets/{market['id']}/settle", operator.token)
