"""place_wagers: a batch of wagers in one round trip on PostgreSQL

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-03 13:00:00.000000

The hot path on PostgreSQL was a statement per step and a savepoint per wager, each a
round trip. `streambet_place_wagers` takes a whole batch (services/wager_batches.py) as
arrays and does every step server-side: locks in the global order (markets shared by id,
then wallets and pools by account id, as payouts take them too), then per
wager the Idempotency-Key lookup, the checks (an in-play live market's wagers must go
through its bet delay, services/bet_delay.py, so they are refused here), the guarded debit, the wager row, both
ledger legs and the outcome's pool. A refused wager writes nothing: every check runs
before its first write, and the debit is the last check. The function decides only
*whether*; the refusal's reason and message stay in the domain (services/wagers.py
re-runs the domain checks on the row it returns). SQLite has no such functions: there
the same steps run from Python under one writer.
"""

from __future__ import annotations

from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

_FUNCTION = r"""
CREATE FUNCTION streambet_place_wagers(
    p_users bigint[], p_markets bigint[], p_outcomes bigint[], p_stakes bigint[],
    p_keys text[], p_now timestamptz
) RETURNS TABLE (
    ord int, result text, wager_id bigint, market_id bigint, outcome_id bigint,
    stake bigint, created_at timestamptz, payout bigint, balance bigint, takeout_bp int,
    market_found boolean, status text, min_stake bigint, max_stake bigint,
    opens_at timestamptz, closes_at timestamptz, outcome_found boolean,
    excluded_until timestamptz, wallet_found boolean, in_play boolean
) LANGUAGE plpgsql AS $fn$
DECLARE
    i int;
    m record;
    w record;
    v_outcome bigint;
    v_wallet int;
    v_pool int;
    v_left bigint;
BEGIN
    -- One global lock order for every writer (cancels and payouts too): markets first,
    -- shared, by id; then the ledger accounts by id. No two batches wait in a circle.
    PERFORM 1 FROM market WHERE market.id = ANY(p_markets)
        ORDER BY market.id FOR SHARE;
    PERFORM 1 FROM ledger_account a
        WHERE a.code = ANY(
            ARRAY(SELECT 'wallet:' || u FROM unnest(p_users) u)
            || ARRAY(SELECT 'pool:' || mk FROM unnest(p_markets) mk))
        ORDER BY a.id FOR UPDATE;

    FOR i IN 1 .. coalesce(array_length(p_users, 1), 0) LOOP
        ord := i;
        result := NULL; wager_id := NULL; market_id := p_markets[i];
        outcome_id := p_outcomes[i]; stake := p_stakes[i]; created_at := NULL;
        payout := NULL; balance := NULL; takeout_bp := NULL; market_found := NULL;
        status := NULL; min_stake := NULL; max_stake := NULL; opens_at := NULL;
        closes_at := NULL; outcome_found := NULL; excluded_until := NULL;
        wallet_found := NULL; in_play := NULL;

        -- The wallet row is locked above, so one bettor's keys are checked one at a time.
        IF p_keys[i] IS NOT NULL THEN
            SELECT wg.id, wg.market_id, wg.outcome_id, wg.stake, wg.created_at,
                   CASE WHEN mk.paid_at IS NULL THEN NULL ELSE coalesce((
                       SELECT sum(e.amount) FROM ledger_entry e
                       WHERE e.wager_id = wg.id AND e.account_id = wg.account_id
                         AND e.kind IN ('payout', 'refund')), 0) END AS paid
              INTO w
              FROM wager wg JOIN market mk ON mk.id = wg.market_id
             WHERE wg.user_id = p_users[i] AND wg.idempotency_key = p_keys[i];
            IF FOUND THEN
                wager_id := w.id;
                IF (w.market_id, w.outcome_id, w.stake)
                        IS DISTINCT FROM (p_markets[i], p_outcomes[i], p_stakes[i]) THEN
                    result := 'reused';
                ELSE
                    result := 'replay';
                    created_at := w.created_at;
                    payout := w.paid;
                    SELECT a.balance INTO balance FROM ledger_account a
                     WHERE a.code = 'wallet:' || p_users[i];
                    balance := coalesce(balance, 0);
                END IF;
                RETURN NEXT;
                CONTINUE;
            END IF;
        END IF;

        SELECT mk.status, mk.min_stake, mk.max_stake, mk.opens_at, mk.closes_at,
               mk.takeout_bp INTO m
          FROM market mk WHERE mk.id = p_markets[i];
        market_found := FOUND;
        IF NOT market_found THEN
            result := 'refused';
            RETURN NEXT;
            CONTINUE;
        END IF;
        status := m.status; min_stake := m.min_stake; max_stake := m.max_stake;
        opens_at := m.opens_at; closes_at := m.closes_at; takeout_bp := m.takeout_bp;
        SELECT o.id INTO v_outcome FROM market_outcome o
         WHERE o.id = p_outcomes[i] AND o.market_id = p_markets[i];
        outcome_found := FOUND;
        SELECT u.excluded_until INTO excluded_until FROM app_user u WHERE u.id = p_users[i];
        SELECT a.id INTO v_wallet FROM ledger_account a WHERE a.code = 'wallet:' || p_users[i];
        wallet_found := FOUND;
        SELECT a.id INTO v_pool FROM ledger_account a WHERE a.code = 'pool:' || p_markets[i];
        in_play := coalesce((SELECT lm.bet_delay_ms > 0 FROM live_market lm
                              WHERE lm.market_id = p_markets[i]), false);

        IF (excluded_until IS NOT NULL AND p_now < excluded_until)
           OR NOT outcome_found
           OR m.status <> 'open'
           OR (m.opens_at IS NOT NULL AND p_now < m.opens_at)
           OR (m.closes_at IS NOT NULL AND p_now >= m.closes_at)
           OR p_stakes[i] NOT BETWEEN m.min_stake AND m.max_stake
           OR in_play
           OR NOT wallet_found OR v_pool IS NULL THEN
            result := 'refused';
            RETURN NEXT;
            CONTINUE;
        END IF;

        -- The balance check is the debit itself; nothing is written before it.
        UPDATE ledger_account a SET balance = a.balance - p_stakes[i]
         WHERE a.id = v_wallet AND a.balance >= p_stakes[i]
         RETURNING a.balance INTO v_left;
        IF NOT FOUND THEN
            result := 'refused';
            SELECT a.balance INTO balance FROM ledger_account a WHERE a.id = v_wallet;
            RETURN NEXT;
            CONTINUE;
        END IF;
        UPDATE ledger_account a SET balance = a.balance + p_stakes[i] WHERE a.id = v_pool;
        INSERT INTO wager (market_id, outcome_id, user_id, account_id, stake,
                           idempotency_key, created_at)
             VALUES (p_markets[i], p_outcomes[i], p_users[i], v_wallet, p_stakes[i],
                     p_keys[i], p_now)
          RETURNING wager.id INTO wager_id;
        INSERT INTO ledger_entry (movement, kind, account_id, amount, market_id, wager_id,
                                  created_at)
             VALUES ('stake:w' || wager_id, 'stake', v_wallet, -p_stakes[i], p_markets[i],
                     wager_id, p_now),
                    ('stake:w' || wager_id, 'stake', v_pool, p_stakes[i], p_markets[i],
                     wager_id, p_now);
        UPDATE market_outcome o SET pool = o.pool + p_stakes[i],
                                    wager_count = o.wager_count + 1
         WHERE o.id = p_outcomes[i];
        result := 'placed';
        created_at := p_now;
        balance := v_left;
        RETURN NEXT;
    END LOOP;
END
$fn$;
"""


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(_FUNCTION)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "DROP FUNCTION streambet_place_wagers"
            "(bigint[], bigint[], bigint[], bigint[], text[], timestamptz)"
        )
