"""place_wagers checks the bearer token and returns the odds: a wager request is one round trip

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-03 19:00:00.000000

A wager request on PostgreSQL cost three round trips: the token check, its batch's call
(0014) and the odds read after it. `streambet_place_wagers` now also takes each wager's
token hash (api/auth.py defers the check to it) and refuses, before anything else, a
wager whose token is unknown, revoked, expired or not a bettor's, answering the token's
row so Python words the 401 / 403 exactly as services/accounts.authenticate does. When
asked (`p_odds`, someone listens for odds), it ends with one row per market it placed on:
the outcomes' pools, read while the batch still holds the pool's row lock, so they are the
pools this batch left. Everything else is 0014's function unchanged. 0014's six-argument
function stays beside it, so nodes still running the code before this migration keep
placing wagers until they are restarted (a rolling deploy); a later migration may drop it.
"""

from __future__ import annotations

from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

_SIGNATURE = "(bigint[], text[], bigint[], bigint[], bigint[], text[], timestamptz, boolean)"

_FUNCTION = r"""
CREATE FUNCTION streambet_place_wagers(
    p_users bigint[], p_tokens text[], p_markets bigint[], p_outcomes bigint[],
    p_stakes bigint[], p_keys text[], p_now timestamptz, p_odds boolean
) RETURNS TABLE (
    ord int, result text, wager_id bigint, market_id bigint, outcome_id bigint,
    stake bigint, created_at timestamptz, payout bigint, balance bigint, takeout_bp int,
    market_found boolean, status text, min_stake bigint, max_stake bigint,
    opens_at timestamptz, closes_at timestamptz, outcome_found boolean,
    excluded_until timestamptz, wallet_found boolean, in_play boolean,
    token_found boolean, user_id bigint, email text, display_name text, role text,
    revoked_at timestamptz, expires_at timestamptz,
    pool_outcomes bigint[], pools bigint[]
) LANGUAGE plpgsql AS $fn$
DECLARE
    n int := coalesce(array_length(p_markets, 1), 0);
    i int;
    m record;
    w record;
    t record;
    v_users bigint[] := p_users;
    -- each token's row, by wager (plpgsql has no arrays of records)
    v_found boolean[];
    v_ids bigint[];
    v_emails text[];
    v_names text[];
    v_roles text[];
    v_revoked timestamptz[];
    v_expires timestamptz[];
    v_outcome bigint;
    v_wallet int;
    v_pool int;
    v_left bigint;
    v_placed bigint[] := '{}';
BEGIN
    -- The bearer tokens first (api/auth.py left them to this call): a wager whose token
    -- does not let a bettor in has no bettor, so nothing below locks or writes for it.
    FOR i IN 1 .. n LOOP
        CONTINUE WHEN p_tokens[i] IS NULL;
        SELECT u.id, u.email, u.display_name, u.role, tk.revoked_at, tk.expires_at
          INTO t
          FROM api_token tk JOIN app_user u ON u.id = tk.user_id
         WHERE tk.token_hash = p_tokens[i];
        v_found[i] := FOUND;
        v_users[i] := NULL;
        IF FOUND THEN
            v_ids[i] := t.id; v_emails[i] := t.email; v_names[i] := t.display_name;
            v_roles[i] := t.role; v_revoked[i] := t.revoked_at; v_expires[i] := t.expires_at;
            IF t.revoked_at IS NULL AND t.expires_at > p_now AND t.role = 'bettor' THEN
                v_users[i] := t.id;
            END IF;
        END IF;
    END LOOP;

    -- One global lock order for every writer (cancels and payouts too): markets first,
    -- shared, by id; then the ledger accounts by id. No two batches wait in a circle.
    PERFORM 1 FROM market WHERE market.id = ANY(p_markets)
        ORDER BY market.id FOR SHARE;
    PERFORM 1 FROM ledger_account a
        WHERE a.code = ANY(
            ARRAY(SELECT 'wallet:' || u FROM unnest(v_users) u WHERE u IS NOT NULL)
            || ARRAY(SELECT 'pool:' || mk FROM unnest(p_markets) mk))
        ORDER BY a.id FOR UPDATE;

    FOR i IN 1 .. n LOOP
        ord := i;
        result := NULL; wager_id := NULL; market_id := p_markets[i];
        outcome_id := p_outcomes[i]; stake := p_stakes[i]; created_at := NULL;
        payout := NULL; balance := NULL; takeout_bp := NULL; market_found := NULL;
        status := NULL; min_stake := NULL; max_stake := NULL; opens_at := NULL;
        closes_at := NULL; outcome_found := NULL; excluded_until := NULL;
        wallet_found := NULL; in_play := NULL; token_found := NULL; user_id := NULL;
        email := NULL; display_name := NULL; role := NULL; revoked_at := NULL;
        expires_at := NULL; pool_outcomes := NULL; pools := NULL;

        IF p_tokens[i] IS NOT NULL THEN
            token_found := v_found[i]; user_id := v_ids[i]; email := v_emails[i];
            display_name := v_names[i]; role := v_roles[i]; revoked_at := v_revoked[i];
            expires_at := v_expires[i];
            IF v_users[i] IS NULL THEN
                result := 'token';
                RETURN NEXT;
                CONTINUE;
            END IF;
        END IF;

        -- The wallet row is locked above, so one bettor's keys are checked one at a time.
        IF p_keys[i] IS NOT NULL THEN
            SELECT wg.id, wg.market_id, wg.outcome_id, wg.stake, wg.created_at,
                   CASE WHEN mk.paid_at IS NULL THEN NULL ELSE coalesce((
                       SELECT sum(e.amount) FROM ledger_entry e
                       WHERE e.wager_id = wg.id AND e.account_id = wg.account_id
                         AND e.kind IN ('payout', 'refund')), 0) END AS paid
              INTO w
              FROM wager wg JOIN market mk ON mk.id = wg.market_id
             WHERE wg.user_id = v_users[i] AND wg.idempotency_key = p_keys[i];
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
                     WHERE a.code = 'wallet:' || v_users[i];
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
        SELECT u.excluded_until INTO excluded_until FROM app_user u WHERE u.id = v_users[i];
        SELECT a.id INTO v_wallet FROM ledger_account a WHERE a.code = 'wallet:' || v_users[i];
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
             VALUES (p_markets[i], p_outcomes[i], v_users[i], v_wallet, p_stakes[i],
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
        v_placed := v_placed || p_markets[i];
        result := 'placed';
        created_at := p_now;
        balance := v_left;
        RETURN NEXT;
    END LOOP;

    -- The new odds' pools, one row per market placed on, still under the pool's lock.
    IF p_odds THEN
        FOR m IN SELECT mk.id, mk.takeout_bp,
                        array_agg(o.id ORDER BY o.position) AS ids,
                        array_agg(o.pool ORDER BY o.position) AS amounts
                   FROM market mk JOIN market_outcome o ON o.market_id = mk.id
                  WHERE mk.id = ANY(v_placed)
                  GROUP BY mk.id, mk.takeout_bp LOOP
            ord := NULL; result := 'odds'; wager_id := NULL; market_id := m.id;
            outcome_id := NULL; stake := NULL; created_at := NULL; payout := NULL;
            balance := NULL; takeout_bp := m.takeout_bp; market_found := true;
            status := NULL; min_stake := NULL; max_stake := NULL; opens_at := NULL;
            closes_at := NULL; outcome_found := NULL; excluded_until := NULL;
            wallet_found := NULL; in_play := NULL; token_found := NULL; user_id := NULL;
            email := NULL; display_name := NULL; role := NULL; revoked_at := NULL;
            expires_at := NULL; pool_outcomes := m.ids; pools := m.amounts;
            RETURN NEXT;
        END LOOP;
    END IF;
END
$fn$;
"""


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(_FUNCTION)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"DROP FUNCTION streambet_place_wagers{_SIGNATURE}")
