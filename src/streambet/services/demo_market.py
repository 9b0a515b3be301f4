"""The demo market `make run` seeds, so a newcomer sees a market working at once."""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select

from streambet.adapters.orm.betting import Market
from streambet.domain.accounts import Principal
from streambet.domain.criteria import LabelVocabulary
from streambet.services import demo, markets
from streambet.services.demo_footage import encode_stills
from streambet.services.markets import MarketRead, market_read
from streambet.services.unit_of_work import UnitOfWork, UnitOfWorkFactory

DEMO_QUESTION = "Will a cat appear in the demo clip?"
# Submits an upload (as whom, file name, chunks) for analysis; returns the analysis id.
SubmitClip = Callable[[Principal, str, Iterable[bytes]], str]


@dataclass(frozen=True)
class DemoSeed:
    created: list[demo.CreatedAccount]  # accounts made now, with their passwords
    market: MarketRead


def seed_demo(
    uow: UnitOfWorkFactory, vocabulary: LabelVocabulary, submit: SubmitClip, credit: int
) -> DemoSeed:
    """The demo accounts, and the demo market on a clip whose analysis is held until the
    market locks (then the server's consumer runs it, and the market settles from it);
    whatever exists already is kept."""
    created = demo.seed_demo_accounts(uow(), credit=credit)
    operator = demo.ensure_demo_operator(uow())
    market = find_demo_market(uow())
    if market is None:
        analysis_id = submit_demo_clip(operator, submit)
        market = create_demo_market(uow(), vocabulary, operator, analysis_id)
    return DemoSeed(created, market)


def find_demo_market(uow: UnitOfWork) -> MarketRead | None:
    with uow:
        found = uow.session.scalar(select(Market).where(Market.question == DEMO_QUESTION).limit(1))
        return None if found is None else market_read(uow.session, found)


def create_demo_market(
    uow: UnitOfWork, vocabulary: LabelVocabulary, operator: Principal, analysis_id: str | None
) -> MarketRead:
    return markets.create_market(
        uow,
        vocabulary,
        operator,
        DEMO_QUESTION,
        [
            markets.OutcomeDraft("YES", {"label": "Cat", "min_confidence": 80}),
            markets.OutcomeDraft("NO"),
        ],
        analysis_id=analysis_id,
        takeout_bp=500,
        max_stake=5_000,
    )


def submit_demo_clip(operator: Principal, submit: SubmitClip) -> str | None:
    """Builds a 10 s clip from photos scikit-image ships (coffee, a cat, an astronaut) and
    submits it (held), so the demo market settles from real evidence once it has locked
    and the server's consumer has run it. None when the photos are not installed."""
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
            return submit(operator, "demo-clip.mp4", iter(lambda: fh.read(1 << 16), b""))
