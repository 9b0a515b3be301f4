"""Betting test helpers: a small in-memory vocabulary and hand-built label timelines."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from streambet.timeline import (
    BoundingBox,
    Instance,
    LabelInfo,
    LabelSample,
    Timeline,
    VideoMetadata,
)

if TYPE_CHECKING:
    from streambet.services.markets import MarketView

LABELS = {
    "Cat": LabelInfo("Cat", parents=("Animal",), aliases=("Kitty",), categories=("Animals",)),
    "Dog": LabelInfo("Dog", parents=("Animal",), aliases=("Puppy",), categories=("Animals",)),
    "Animal": LabelInfo("Animal", categories=("Animals",)),
    "Car": LabelInfo("Car", parents=("Vehicle", "Transportation"), categories=("Vehicles",)),
    "Vehicle": LabelInfo("Vehicle", parents=("Transportation",)),
    "Person": LabelInfo("Person", aliases=("Human",)),
}


class Vocabulary:
    """Case-insensitive, accepts aliases: the contract the real taxonomy fulfils."""

    def __init__(self, labels: Iterable[LabelInfo] = LABELS.values()) -> None:
        self._by_name: dict[str, LabelInfo] = {}
        for info in labels:
            for name in (info.name, *info.aliases):
                self._by_name[name.casefold()] = info

    def resolve(self, name: str) -> LabelInfo | None:
        return self._by_name.get(name.casefold())


def box(
    left: float = 0.1, top: float = 0.1, width: float = 0.2, height: float = 0.2
) -> BoundingBox:
    return BoundingBox(left, top, width, height)


def sample(
    t_ms: int, name: str, confidence: float, boxes: Iterable[tuple[BoundingBox, float]] = ()
) -> LabelSample:
    return LabelSample(
        t_ms, name, confidence, confidence, tuple(Instance(b, c) for b, c in boxes), "test"
    )


def timeline(
    samples: Iterable[LabelSample],
    *,
    duration_ms: int = 10_000,
    analysed_until_ms: int | None = None,
    interval_ms: int = 500,
) -> Timeline:
    items = list(samples)
    return Timeline(
        video=VideoMetadata("h264", duration_ms, "mp4", 25.0, 640, 360),
        model_version="test-model-1",
        sample_interval_ms=interval_ms,
        analysed_from_ms=0,
        analysed_until_ms=duration_ms if analysed_until_ms is None else analysed_until_ms,
        samples=items,
        labels={s.name: LABELS.get(s.name, LabelInfo(s.name)) for s in items},
    )


def fund(app: object, user_id: int, amount: int) -> None:
    """Credits a user through the ledger, as a deposit would."""
    from streambet.adapters.payouts import MockPayoutProvider
    from streambet.services import wallet

    w = app.extensions["streambet"]  # type: ignore[attr-defined]
    with w.uow() as uow:
        pending = wallet.request_deposit(uow, user_id, amount)
    with w.uow() as uow:
        wallet.complete_deposit(uow, MockPayoutProvider(), pending.key)


def verify_ledger(app: object) -> list[str]:
    from streambet.services.ledger import verify

    w = app.extensions["streambet"]  # type: ignore[attr-defined]
    with w.read_uow() as uow:
        return [str(v) for v in verify(uow.session)]


def cat_market(app: object, operator_id: int, **options: Any) -> MarketView:
    """A YES ("a Cat is seen") / NO market created through the service layer; `options`
    are create_market's keywords (takeout_bp, analysis_id, publish, ...)."""
    from streambet.services import markets

    w = app.extensions["streambet"]  # type: ignore[attr-defined]
    with w.uow() as uow:
        return markets.create_market(
            uow,
            Vocabulary(),
            operator_id,
            "Cat?",
            [markets.OutcomeDraft("YES", {"label": "Cat"}), markets.OutcomeDraft("NO")],
            **options,
        )
