// Markets as the API sends them, normalised once so views do not guess field names.

export function normaliseMarket(m) {
  const outcomes = (m.outcomes || []).map((o, i) => ({
    id: o.id ?? o.outcome_id ?? i,
    title: o.title ?? o.name ?? o.label ?? `Outcome ${i + 1}`,
    pool: Number(o.pool ?? o.staked ?? o.total_stake ?? 0),
    odds: o.odds === undefined || o.odds === null ? null : Number(o.odds),
    criteria: o.criteria ?? null,
    bettors: o.bettors ?? o.users ?? null,
  }));
  const pool = Number(m.pool ?? m.total_pool ?? outcomes.reduce((s, o) => s + o.pool, 0));
  return {
    raw: m,
    id: m.id,
    question: m.question ?? m.event ?? m.title ?? 'Untitled market',
    status: m.status,
    outcomes,
    pool,
    takeoutBp: Number(m.takeout_bp ?? m.takeout_bps ?? 0),
    minStake: Number(m.min_stake ?? 1),
    maxStake: Number(m.max_stake ?? Number.MAX_SAFE_INTEGER),
    analysisId: m.analysis_id ?? null,
    closesAt: m.closes_at_ms ?? m.closes_at ?? null,
    settlement: m.settlement ?? m.resolution ?? null,
    disputeUntil: m.dispute_deadline_ms ?? m.dispute_deadline ?? null,
    paidAt: m.paid_at_ms ?? m.paid_at ?? null,
    winningOutcomeId: m.winning_outcome_id ?? m.settlement?.outcome_id ?? m.resolution?.outcome_id ?? null,
  };
}

/** Applies a market.odds event ({market_id, outcomes: [{id, pool, odds}], pool}) in place. */
export function applyOdds(market, payload) {
  const updates = payload.outcomes || [];
  let changed = [];
  for (const u of updates) {
    const o = market.outcomes.find((x) => String(x.id) === String(u.id ?? u.outcome_id));
    if (!o) continue;
    if (u.pool !== undefined && Number(u.pool) !== o.pool) changed.push(o.id);
    if (u.pool !== undefined) o.pool = Number(u.pool);
    if (u.odds !== undefined) o.odds = u.odds === null ? null : Number(u.odds);
  }
  if (payload.odds && typeof payload.odds === 'object' && !Array.isArray(payload.odds)) {
    for (const o of market.outcomes) {
      const v = payload.odds[o.id] ?? payload.odds[o.title] ?? payload.odds[String(o.title).toLowerCase()];
      if (v !== undefined) o.odds = Number(v);
    }
  }
  if (payload.pools && typeof payload.pools === 'object') {
    for (const o of market.outcomes) {
      const v = payload.pools[o.id];
      if (v !== undefined && Number(v) !== o.pool) {
        changed.push(o.id);
        o.pool = Number(v);
      }
    }
  }
  const total = payload.pool ?? payload.total_pool;
  market.pool = total !== undefined && typeof total === 'number' ? total : market.outcomes.reduce((s, o) => s + o.pool, 0);
  changed = [...new Set(changed)];
  return changed;
}

export function marketIdOf(payload) {
  return payload.market_id ?? payload.id;
}

/** A wager's state for people: open until its market settles, then won, lost or refunded. */
export function wagerStatus(w, marketStatus) {
  if (w.status) return w.status;
  if (w.payout === null || w.payout === undefined) {
    if (marketStatus === 'canceled') return 'refunded';
    return marketStatus === 'resolved' || marketStatus === 'disputed' ? 'awaiting payout' : 'open';
  }
  if (marketStatus === 'canceled') return 'refunded';
  return Number(w.payout) > 0 ? 'won' : 'lost';
}

export const STATUS_TEXT = {
  open: 'Open for wagers',
  locked: 'Locked: waiting for the evidence',
  review: 'In review: an admin is checking the evidence',
  resolved: 'Resolved',
  disputed: 'Disputed: an admin is reviewing',
  canceled: 'Canceled: stakes refunded',
};
