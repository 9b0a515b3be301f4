"""PostgreSQL's hot path: a whole batch of wagers in one round trip.

`streambet_place_wagers` (migration 0014) locks, checks and writes every wager of the
batch server-side and answers one row per wager: placed, a replay of an Idempotency-Key,
a key reused for another wager, or refused with the market's terms. A refusal's reason is
decided here by the same domain checks the SQLite path runs (services/wagers.check_order),
so both databases tell bettors the same thing.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from streambet.domain.errors import Conflict, NotFound, StreamBetError
from streambet.services import ledger
from streambet.services.wagers import MarketTerms, WagerOrder, WagerRead, check_order

_CALL = text(
    "SELECT * FROM streambet_place_wagers("
    "CAST(:users AS bigint[]), CAST(:markets AS bigint[]), CAST(:outcomes AS bigint[]),"
    " CAST(:stakes AS bigint[]), CAST(:keys AS text[]), :now)"
)

Placed = tuple[WagerRead | Exception, int | None]


def place_batch(session: Session, orders: Sequence[WagerOrder], now: datetime) -> list[Placed]:
    """Each order's wager (or why not) and its market's takeout for new odds (None when
    nothing changed), in order, committed when this returns.

    The call runs in autocommit, which makes the one statement its own transaction (all of
    it or none of it is written): BEGIN and COMMIT around it were two more round trips
    each batch waited for. `session` must not have used its connection yet."""
    conn = session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})
    rows = conn.execute(
        _CALL,
        {
            "users": [o.user_id for o in orders],
            "markets": [o.market_id for o in orders],
            "outcomes": [o.outcome_id for o in orders],
            "stakes": [o.stake for o in orders],
            "keys": [o.idempotency_key for o in orders],
            "now": now,
        },
    )
    by_ord = {row.ord: row for row in rows}
    answers: list[Placed] = []
    for i, order in enumerate(orders, start=1):
        try:
            answers.append(_answer(by_ord[i], order, now))
        except Exception as exc:  # the batch is committed: only this answer failed
            answers.append((exc, None))
    return answers


def _answer(row: Any, order: WagerOrder, now: datetime) -> Placed:
    if row.result in ("placed", "replay"):
        wager = WagerRead.model_validate(
            {
                "id": row.wager_id,
                "market_id": row.market_id,
                "outcome_id": row.outcome_id,
                "stake": row.stake,
                "payout": row.payout,
                "created_at": row.created_at,
                "balance": row.balance,
                "replayed": row.result == "replay",
            }
        )
        return wager, row.takeout_bp if row.result == "placed" else None
    if row.result == "reused":
        return Conflict(
            "This Idempotency-Key was already used for a different wager.",
            code="idempotency_key_reused",
            details={"wager_id": row.wager_id},
        ), None
    return _refusal(row, order, now), None


def _refusal(row: Any, order: WagerOrder, now: datetime) -> StreamBetError:
    if not row.market_found:
        return NotFound(f"No market {order.market_id}.")
    terms = MarketTerms(row.status, row.min_stake, row.max_stake, row.opens_at, row.closes_at)
    try:
        check_order(
            terms,
            order.stake,
            now,
            outcome_found=row.outcome_found,
            wallet_found=row.wallet_found,
            excluded_until=row.excluded_until,
            in_play=row.in_play,
            market_id=order.market_id,
        )
    except StreamBetError as exc:
        return exc
    # Everything the market says allowed it: the guarded debit found too little money.
    return ledger.short_of(row.balance or 0, order.stake)
