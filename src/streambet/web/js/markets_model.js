// Markets as the API sends them, normalised once so views do not guess field names.

export function normaliseMarket(m) {
  const outcomes = (m.outcomes || []).map((o) => ({
    id: o.id,
    title: o.title,
    pool: Number(o.pool ?? 0),
    odds: o.odds === undefined || o.odds === null ? null : Number(o.odds),
    criteria: o.criteria ?? null,
  }));
  return {
    id: m.id,
    question: m.question,
    status: m.status,
    outcomes,
    pool: Number(m.pool ?? outcomes.reduce((s, o) => s + o.pool, 0)),
    takeoutBp: Number(m.takeout_bp ?? 0),
    minStake: Number(m.min_stake ?? 1),
    maxStake: Number(m.max_stake ?? Number.MAX_SAFE_INTEGER),
    analysisId: m.analysis_id ?? null,
    settlement: m.settlement ?? null,
    disputeUntil: m.dispute_deadline_ms ?? null,
    paidAt: m.paid_at_ms ?? null,
    winningOutcomeId: m.winning_outcome_id ?? null,
  };
}

/** Applies a market.odds event ({market_id, pool, outcomes: [{id, pool, odds}]}) in place;
 * returns the ids of the outcomes whose pool moved. */
export function applyOdds(market, payload) {
  const changed = [];
  for (const u of payload.outcomes || []) {
    const o = market.outcomes.find((x) => String(x.id) === String(u.id));
    if (!o) continue;
    if (Number(u.pool) !== o.pool) changed.push(o.id);
    o.pool = Number(u.pool);
    o.odds = u.odds === null || u.odds === undefined ? null : Number(u.odds);
  }
  market.pool =
    typeof payload.pool === 'number'
      ? payload.pool
      : market.outcomes.reduce((s, o) => s + o.pool, 0);
  return changed;
}

export function marketIdOf(payload) {
  return payload.market_id;
}

/** A wager's state for people: open until its market settles, then won, lost or refunded. */
export function wagerStatus(w, marketStatus) {
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
