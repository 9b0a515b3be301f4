"""PostgreSQL's hot path: a whole batch of wagers in one round trip.

`streambet_place_wagers` (migrations 0014 and 0016) checks each wager's bearer token when
the request left it to the call (api/auth.py), then locks, checks and writes every wager
of the batch server-side and answers one row per wager: placed, a replay of an
Idempotency-Key, a key reused for another wager, refused with the market's terms, or
refused on the token with the token's row. A refusal's reason is decided here by the same
checks the SQLite path runs (services/wagers.check_order, services/accounts.admit), so
both databases tell bettors the same thing. When asked, the call ends with the pools of
every market it placed on, for the odds event, so a batch needs no second round trip.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from streambet.domain.accounts import check_may_wager
from streambet.domain.errors import Conflict, NotFound, StreamBetError, Unauthenticated
from streambet.services import ledger
from streambet.services.accounts import TokenRow, admit
from streambet.services.wagers import (
    MarketTerms,
    WagerOrder,
    WagerRead,
    check_order,
    odds_event,
)

_CALL = text(
    "SELECT * FROM streambet_place_wagers("
    "CAST(:users AS bigint[]), CAST(:tokens AS text[]), CAST(:markets AS bigint[]),"
    " CAST(:outcomes AS bigint[]), CAST(:stakes AS bigint[]), CAST(:keys AS text[]),"
    " :now, :odds)"
)

Placed = WagerRead | Exception


def place_batch(
    session: Session, orders: Sequence[WagerOrder], now: datetime, *, odds: bool
) -> tuple[list[Placed], list[dict[str, Any]]]:
    """Each order's wager (or why not), in order, committed when this returns, and (with
    `odds`) the odds event of every market that took a wager.

    The call runs in autocommit, which makes the one statement its own transaction (all of
    it or none of it is written): BEGIN and COMMIT around it were two more round trips
    each batch waited for. `session` must not have used its connection yet."""
    conn = session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})
    rows = conn.execute(
        _CALL,
        {
            "users": [o.user_id for o in orders],
            "tokens": [o.token_hash for o in orders],
            "markets": [o.market_id for o in orders],
            "outcomes": [o.outcome_id for o in orders],
            "stakes": [o.stake for o in orders],
            "keys": [o.idempotency_key for o in orders],
            "now": now,
            "odds": odds,
        },
    ).all()
    by_ord = {row.ord: row for row in rows if row.result != "odds"}
    answers: list[Placed] = []
    for i, order in enumerate(orders, start=1):
        try:
            answers.append(_answer(by_ord[i], order, now))
        except Exception as exc:  # the batch is committed: only this answer failed
            answers.append(exc)
    events = [
        odds_event(
            row.market_id, dict(zip(row.pool_outcomes, row.pools, strict=True)), row.takeout_bp
        )
        for row in rows
        if row.result == "odds"
    ]
    return answers, events


def _answer(row: Any, order: WagerOrder, now: datetime) -> Placed:
    if row.result in ("placed", "replay"):
        return WagerRead.model_validate(
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
    if row.result == "reused":
        return Conflict(
            "This Idempotency-Key was already used for a different wager.",
            code="idempotency_key_reused",
            details={"wager_id": row.wager_id},
        )
    if row.result == "token":
        return _token_refusal(row, now)
    return _refusal(row, order, now)


def _token_refusal(row: Any, now: datetime) -> StreamBetError:
    """Why the call let this token's wager no further: what api/auth.py would have said."""
    found = TokenRow(
        row.user_id, row.email, row.display_name, row.role, row.revoked_at, row.expires_at
    )
    try:
        who = admit(found if row.token_found else None, now)
        check_may_wager(who.role)
    except StreamBetError as exc:
        return exc
    # admit and the call refuse the same tokens; should they ever disagree, still refuse
    return Unauthenticated("That token is not valid.")


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
