// Markets as the API sends them, normalised once so views do not guess field names, and the
// rules the market views share (odds, stakes, settlement, operator actions). Pure: no DOM.

import { formatClock, formatMoney, formatPercent, parseMoney } from './format.js';

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
    engineSettlement: m.engine_settlement ?? null,
    creator: m.creator ?? '',
    createdAt: m.created_at_ms ?? null,
    closesAt: m.closes_at_ms ?? null,
    takeoutAmount: m.takeout_amount ?? null,
    breakageAmount: m.breakage_amount ?? null,
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

const PENDING_TEXT = {
  open: 'open',
  locked: 'locked',
  review: 'in review',
  resolved: 'awaiting payout',
  disputed: 'disputed',
};

/** A wager's state for people: what its market is doing until it pays, then won, lost or
 * refunded (a wager on a market in review never reads "open"). `winnerId`: the market's
 * winning outcome, which tells a refund (nobody backed the winner) from a win. */
export function wagerStatus(w, marketStatus, winnerId = null) {
  if (marketStatus === 'canceled') return 'refunded';
  const onWinner = winnerId !== null && String(w.outcome_id) === String(winnerId);
  if (w.payout === null || w.payout === undefined) {
    // Decided but unpaid: a stake on another outcome has lost (unless a dispute wins).
    if (marketStatus === 'resolved' && winnerId !== null && !onWinner) return 'lost';
    return PENDING_TEXT[marketStatus] || 'open';
  }
  if (!onWinner && Number(w.payout) > 0) return 'refunded';
  return Number(w.payout) > 0 ? 'won' : 'lost';
}

/** Paid (or refunded): its money has moved, so it is no longer open. */
export function wagerSettled(w, marketStatus) {
  return marketStatus === 'canceled' || (w.payout !== null && w.payout !== undefined);
}

/** The exact money of a paid wager: `{paid, profit}` in minor units, or null before payout. */
export function wagerResult(w) {
  if (w.payout === null || w.payout === undefined) return null;
  return { paid: Number(w.payout), profit: Number(w.payout) - Number(w.stake) };
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

/** "YES 75% · NO 25%", or null while nothing is staked. */
export function poolSplitText(market) {
  if (!market.pool) return null;
  return market.outcomes.map((o) => `${o.title} ${outcomeShare(market, o)}%`).join(' · ');
}

const BASIS_POINTS = 10000;

/**
 * What `stake` on `outcome` would return if the market closed now with this wager in it
 * and the outcome won, in minor units: the pool math of domain/pools.py (takeout rounded
 * down off the gross pool, then net x stake / winning stake rounded down, the remainder
 * being breakage), so the bettor's own stake is part of both pools.
 */
export function estimatedReturn(market, outcome, stake) {
  const gross = market.pool + stake;
  const net = gross - Math.floor((gross * market.takeoutBp) / BASIS_POINTS);
  return Math.floor((net * stake) / (outcome.pool + stake));
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
 * and the stake as typed. Pari-mutuel odds are not a promise: the line says what a win
 * would return if the pool closed now, the bettor's own stake included, and that it moves.
 */
export function payoutPreview(market, outcome, stakeText) {
  const typed = String(stakeText ?? '');
  if (!outcome || !typed.trim()) return { text: 'Choose an outcome and a stake.', invalid: false };
  const amount = parseMoney(typed);
  if (amount === null || amount <= 0) {
    return { text: 'Enter an amount like 10 or 12.50.', invalid: true };
  }
  const back = estimatedReturn(market, outcome, amount);
  const profit = back - amount;
  const gain = profit >= 0 ? `profit ${formatMoney(profit)}` : `loss ${formatMoney(-profit)}`;
  const lead = market.pool
    ? 'If the pool closed now with your stake in it'
    : 'The pool is empty, so there are no odds yet. If nobody else bets';
  return {
    text:
      `${lead}, a win on ${outcome.title} would return ${formatMoney(back)} ` +
      `(${gain}). This estimate moves as others bet, until the market locks.`,
    invalid: false,
  };
}

/** Why a wager cannot be sent as typed, or null: checked before it goes to the server.
 * `stakeText` is the stake as typed; `balance` the bettor's, in minor units. */
export function stakeProblem(market, outcome, stakeText, balance = null) {
  if (!outcome) return 'Choose an outcome first.';
  const typed = String(stakeText ?? '').trim();
  if (!typed) return 'Enter a stake: how much to bet, like 10 or 12.50.';
  const amount = parseMoney(typed);
  if (amount === null) {
    return `"${typed.slice(0, 20)}" is not an amount: use digits, like 10 or 12.50.`;
  }
  if (amount === 0) return 'A stake must be more than 0.';
  if (amount < market.minStake || amount > market.maxStake) {
    return `Stakes on this market are ${formatMoney(market.minStake)} to ${formatMoney(market.maxStake)}.`;
  }
  if (balance !== null && amount > balance) {
    return `That is more than your balance of ${formatMoney(balance)}.`;
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

/** Whether the resolution leaves this bettor with a losing or refunded stake: a void, a
 * winner nobody backed (every stake comes back), or a wager on another outcome. */
export function hasLosingOrRefundedStake(market, myWagers) {
  if (!myWagers.length) return false;
  const winner = outcomeById(market, market.winningOutcomeId);
  if (!winner || winner.pool === 0) return true;
  return myWagers.some((w) => String(w.outcome_id) !== String(winner.id));
}

/** Only a bettor the result goes against may dispute it: while the market is resolved and
 * unpaid and its window is open. */
export function canDispute(market, myWagers, now = Date.now()) {
  return (
    market.status === 'resolved' &&
    !market.paidAt &&
    disputeWindowOpen(market, now) &&
    hasLosingOrRefundedStake(market, myWagers)
  );
}

/** The operator's actions on a market in this status, in the order they are offered. */
export function operatorActions(status) {
  const actions = [];
  if (status === 'open') actions.push('lock');
  if (status === 'locked') actions.push('settle');
  if (['open', 'locked', 'review'].includes(status)) actions.push('cancel');
  return actions;
}

/** A label rule in plain words: "a Cat at 80% or more, between 0:02 and 0:05". */
export function criteriaText(c) {
  if (!c) return 'none of the other outcomes happens';
  if (c.all) return c.all.map(criteriaText).join(', and ');
  if (c.any) return c.any.map(criteriaText).join(', or ');
  if (c.not) return `not (${criteriaText(c.not)})`;
  const conf = c.min_confidence ?? 80;
  const parts = [];
  if (c.spoken !== undefined) {
    parts.push(`the words "${c.spoken}" are said at ${formatPercent(conf)} or more`);
  } else {
    parts.push(`the engine sees ${article(c.label)} at ${formatPercent(conf)} or more`);
    if (c.min_count > 1) parts.push(`${c.min_count} at once`);
    if (c.min_duration_ms > 0) parts.push(`for ${c.min_duration_ms / 1000} s or longer`);
    if (c.region) parts.push('in the marked part of the frame');
  }
  const start = c.start_ms ?? null;
  const end = c.end_ms ?? null;
  if (start !== null && end !== null) {
    parts.push(`between ${formatClock(start)} and ${formatClock(end)}`);
  } else if (start !== null && start > 0) parts.push(`after ${formatClock(start)}`);
  else if (end !== null) parts.push(`before ${formatClock(end)}`);
  else parts.push('anywhere in the footage');
  return parts.join(', ');
}

function article(label) {
  return `${/^[aeiou]/i.test(label) ? 'an' : 'a'} ${label}`;
}

/** Each outcome's settlement rule in plain words: [{title, text}]. */
export function settlementRules(market) {
  return market.outcomes.map((o) => ({
    title: o.title,
    text: `${o.title} wins if ${criteriaText(o.criteria)}.`,
  }));
}

/** The strongest detection an outcome's evidence holds, or null. */
function bestDetection(outcomeEvidence) {
  let best = null;
  for (const d of outcomeEvidence?.detections || []) {
    if (!best || Number(d.confidence) > Number(best.confidence)) best = d;
  }
  return best;
}

/**
 * The engine's decision in words: what each outcome with a rule needed and what was seen,
 * e.g. "YES needed a Cat at 80% or more. The engine saw a Tiger Cat at 93% at 0:03." From
 * an engine settlement (`evidence.outcomes`); [] when it carries none.
 */
export function settlementStory(market, settlement) {
  const lines = [];
  for (const ev of settlement?.evidence?.outcomes || []) {
    const outcome = outcomeById(market, ev.outcome_id);
    if (!outcome?.criteria) continue;
    const needed = outcome.criteria.label
      ? `${article(outcome.criteria.label)} at ${formatPercent(outcome.criteria.min_confidence ?? 80)} or more`
      : criteriaText(outcome.criteria);
    const best = bestDetection(ev);
    const seen = best
      ? `The engine saw ${article(best.detected || best.label)} at ${formatPercent(best.confidence)} at ${formatClock(best.timestamp_ms)}` +
        (ev.holds ? '.' : ', not enough.')
      : 'The engine did not see it' + (ev.window_fully_analysed ? ' anywhere it looked.' : '.');
    lines.push(`${outcome.title} needed ${needed}. ${seen}`);
  }
  return lines;
}
