"""Betting test helpers: a small in-memory vocabulary and hand-built label timelines."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from streambet.services.unit_of_work import UnitOfWork
from streambet.timeline import (
    BoundingBox,
    Instance,
    LabelInfo,
    LabelSample,
    Timeline,
    VideoMetadata,
)

if TYPE_CHECKING:
    from streambet.domain.accounts import Principal
    from streambet.services.markets import MarketRead

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
    """Credits a user through the ledger with a play-money deposit (the app's own play
    provider, so reconciliation finds it in its journal)."""
    from streambet.services import deposits

    w = app.extensions["streambet"]  # type: ignore[attr-defined]
    deposits.start_deposit(w.uow, w.payments, user_id, amount, provider="play")


def verify_ledger(app: object) -> list[str]:
    from streambet.services.ledger import verify_books

    w = app.extensions["streambet"]  # type: ignore[attr-defined]
    return [str(v) for v in verify_books(w.read_uow())]


def collecting(app: object, seen: list[tuple[str, dict[str, Any]]]) -> Callable[[], UnitOfWork]:
    """A unit-of-work factory on the app's database whose committed events land in `seen`
    (in place of the app's event bus)."""
    w = app.extensions["streambet"]  # type: ignore[attr-defined]
    return lambda: UnitOfWork(w.db.write_sessions, lambda t, p: seen.append((t, p)))


def cat_market(
    app: object,
    operator: Principal,
    uow: Callable[[], UnitOfWork] | None = None,
    **options: Any,
) -> MarketRead:
    """A YES ("a Cat is seen") / NO market created through the service layer; `options`
    are create_market's keywords (takeout_bp, analysis_id, ...)."""
    from streambet.services import markets

    w = app.extensions["streambet"]  # type: ignore[attr-defined]
    return markets.create_market(
        (uow or w.uow)(),
        Vocabulary(),
        operator,
        "Cat?",
        [markets.OutcomeDraft("YES", {"label": "Cat"}), markets.OutcomeDraft("NO")],
        **options,
    )


def bet(
    app: object, bettor: Principal, market_id: int, outcome_id: int, amount: int, key: str = ""
) -> Any:
    """A wager placed the way production places it: through the app's group-committing
    WagerBatcher (services/wager_batches.py)."""
    from streambet.services import wagers

    w = app.extensions["streambet"]  # type: ignore[attr-defined]
    return wagers.place_wager(w.wagers.place, bettor, market_id, outcome_id, amount, key or None)
