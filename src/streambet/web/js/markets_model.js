// Markets as the API sends them, normalised once so views do not guess field names, and the
// rules the market views share (odds, stakes, settlement, operator actions). Pure: no DOM.

import { formatMoney, formatOdds, parseMoney } from './format.js';

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
    disclosure: m.disclosure ?? null,
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

/** An outcome's share of the market's pool, in whole percent. */
export function outcomeShare(market, outcome) {
  return market.pool ? Math.round((outcome.pool / market.pool) * 100) : 0;
}

export function isWinner(market, outcome) {
  return String(market.winningOutcomeId) === String(outcome.id);
}

export function outcomeById(market, id) {
  return market.outcomes.find((o) => String(o.id) === String(id));
}

/** What changes on screen when odds or status move: compared before and after a poll. */
export function oddsKey(market) {
  return JSON.stringify([market.status, market.outcomes.map((o) => [o.pool, o.odds])]);
}

/**
 * The bet slip's line under the stake: `{text, invalid}` for the chosen outcome (or none)
 * and the stake as typed. The payout is the stake at the current odds, rounded down.
 */
export function payoutPreview(outcome, stakeText) {
  const typed = String(stakeText ?? '');
  if (!outcome || !typed.trim()) return { text: 'Choose an outcome and a stake.', invalid: false };
  const amount = parseMoney(typed);
  if (amount === null) return { text: 'Enter an amount like 10 or 12.50.', invalid: true };
  const odds = Number(outcome.odds);
  if (!Number.isFinite(odds) || odds <= 0) {
    return { text: `No odds yet on ${outcome.title}: be the first to back it.`, invalid: false };
  }
  return {
    text: `Potential payout ${formatMoney(Math.floor(amount * odds))} at current odds ${formatOdds(odds)}`,
    invalid: false,
  };
}

/** Why a wager cannot be sent as typed, or null: checked before it goes to the server. */
export function stakeProblem(market, outcome, amount) {
  if (!outcome || amount === null || amount <= 0) {
    return 'Choose an outcome and enter a stake like 10 or 12.50.';
  }
  if (amount < market.minStake || amount > market.maxStake) {
    return `Stakes on this market are ${formatMoney(market.minStake)} to ${formatMoney(market.maxStake)}.`;
  }
  return null;
}

const SETTLED = ['review', 'resolved', 'disputed', 'canceled'];

/** A market shows its settlement once one is recorded or its status says it was decided. */
export function showsSettlement(market) {
  return Boolean(market.settlement) || SETTLED.includes(market.status);
}

/** The settlement's headline: the winner, or what happened instead. */
export function settlementHeadline(market) {
  const winner = outcomeById(market, market.winningOutcomeId);
  if (winner) return `Outcome: ${winner.title}`;
  if (market.status === 'canceled') return 'Canceled: every stake is refunded.';
  if (market.status === 'review') {
    return 'In review: the evidence was not decisive enough to pay out on its own.';
  }
  return 'No outcome yet';
}

export function disputeWindowOpen(market, now = Date.now()) {
  return Boolean(market.disputeUntil) && new Date(market.disputeUntil).getTime() > now;
}

/** A bettor with a stake may dispute a resolved market while its window is open. */
export function canDispute(market, myWagers, now = Date.now()) {
  return market.status === 'resolved' && myWagers.length > 0 && disputeWindowOpen(market, now);
}

/** The operator's actions on a market in this status, in the order they are offered. */
export function operatorActions(status) {
  const actions = [];
  if (status === 'open') actions.push('lock');
  if (status === 'locked') actions.push('settle');
  if (['open', 'locked', 'review'].includes(status)) actions.push('cancel');
  return actions;
}
