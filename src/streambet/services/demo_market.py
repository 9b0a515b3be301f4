"""The demo market `make run` seeds, so a newcomer sees a market working at once."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import select

from streambet.adapters.orm.betting import Market
from streambet.domain.criteria import LabelVocabulary
from streambet.services import analyses, markets
from streambet.services.accounts import Principal
from streambet.services.demo_footage import encode_stills
from streambet.services.markets import MarketView
from streambet.services.unit_of_work import UnitOfWork

if TYPE_CHECKING:
    from streambet.wiring import Wiring

DEMO_QUESTION = "Will a cat appear in the demo clip?"


def ensure_demo_market(
    uow: UnitOfWork, vocabulary: LabelVocabulary, operator_id: int, analysis_id: str | None = None
) -> tuple[MarketView, bool]:
    """The demo market, created if missing; True when it was created now."""
    found = uow.session.scalar(select(Market).where(Market.question == DEMO_QUESTION).limit(1))
    if found is not None:
        return markets.view(uow.session, found), False
    v = markets.create_market(
        uow,
        vocabulary,
        operator_id,
        DEMO_QUESTION,
        [
            markets.OutcomeDraft("YES", {"label": "Cat", "min_confidence": 80}),
            markets.OutcomeDraft("NO"),
        ],
        analysis_id=analysis_id,
        takeout_bp=500,
        max_stake=5_000,
    )
    return v, True


def has_demo_market(uow: UnitOfWork) -> bool:
    return uow.session.scalar(select(Market.id).where(Market.question == DEMO_QUESTION)) is not None


def submit_demo_clip(w: Wiring, operator: Principal) -> str | None:
    """Builds a 10 s clip from photos scikit-image ships (coffee, a cat, an astronaut) and
    queues its analysis, so the demo market settles from real evidence once the server's
    consumer has run it. None when the photos are not installed."""
    try:
        from skimage import data
    except ImportError:
        return None
    with tempfile.TemporaryDirectory() as tmp:
        clip = encode_stills(
            Path(tmp) / "demo-clip.mp4",
            [(data.coffee(), 3.0), (data.chelsea(), 4.0), (data.astronaut(), 3.0)],  # type: ignore[no-untyped-call]
            motion=True,
        )
        with clip.open("rb") as fh:
            state = analyses.submit(
                w, operator, "demo-clip.mp4", iter(lambda: fh.read(1 << 16), b""), {}
            )
    return state.id
