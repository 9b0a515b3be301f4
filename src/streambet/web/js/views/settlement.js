// A decided market's settlement, written for bettors: the outcome, the engine's evidence
// frames first, what the market needed and what the engine saw, a person's ruling beside
// the engine's evidence (never instead of it: who, when, their note), the bettor's exact
// return, the payout or the dispute window with a countdown, and the dispute form for a
// bettor the result goes against.

import { api, describeError } from '../api.js';
import { field, h, toast } from '../dom.js';
import { evidenceGrid, evidenceItems } from '../evidence.js';
import { formatCountdown, formatDate, formatMoney, formatPercent } from '../format.js';
import {
  canDispute,
  disputeWindowOpen,
  outcomeById,
  settlementHeadline,
  settlementStory,
  showsSettlement,
  wagerResult,
} from '../markets_model.js';
import { session } from '../session.js';

const PEOPLE = new Set(['admin', 'dispute', 'cancel']);

/** The settlement section, or null before the market is decided; `onDisputed()` runs after
 * a dispute is filed. */
export function settlementView({ market, myWagers, onDisputed }) {
  if (!showsSettlement(market)) return null;
  const latest = market.settlement;
  const engine = market.engineSettlement;
  const ruling = latest && PEOPLE.has(latest.source) ? latest : null;
  const story = settlementStory(market, engine);
  const section = h(
    'section',
    { class: 'card stack', id: 'settlement', 'aria-labelledby': 'settlement-title' },
    h('h2', { id: 'settlement-title' }, 'Settlement'),
    h(
      'p',
      { id: 'settlement-outcome' },
      h('strong', {}, settlementHeadline(market)),
      engine?.confidence !== undefined && engine?.confidence !== null
        ? ` · engine confidence ${formatPercent(engine.confidence)}`
        : '',
    ),
    myResult(market, myWagers),
    engine ? h('h3', {}, 'What the engine saw') : null,
    engine ? evidenceView(engine, market) : null,
    story.length
      ? h(
          'ul',
          { class: 'story', id: 'settlement-story' },
          story.map((line) => h('li', {}, line)),
        )
      : null,
    engine && !engine.outcome_id && engine.decision === 'review'
      ? h(
          'p',
          { class: 'muted', id: 'review-why' },
          'The engine was not sure enough to pay out on its own, so a person decides.',
        )
      : null,
    ruling ? rulingView(market, ruling, Boolean(engine)) : null,
    engine?.model_version
      ? h(
          'details',
          { class: 'muted' },
          h('summary', {}, 'Engine details'),
          h(
            'p',
            {},
            `Model: ${engine.model_version}. Decided ${formatDate(engine.decided_at_ms)}.`,
          ),
        )
      : null,
    payoutNote(market),
  );
  if (canDispute(market, myWagers)) section.append(disputeForm(market, onDisputed));
  return section;
}

function evidenceView(engine, market) {
  if (!session.loggedIn) {
    return h('p', { class: 'muted' }, h('a', { href: '#/login' }, 'Log in'), ' to see the frames.');
  }
  return evidenceGrid(evidenceItems(engine), market.analysisId);
}

/** A person's decision, beside the engine's evidence. */
function rulingView(market, ruling, engineShown) {
  const who = ruling.decided_by_name || 'an admin';
  const outcome = outcomeById(market, ruling.outcome_id);
  const what = {
    admin: outcome ? `ruled ${outcome.title}` : 'ruled',
    dispute: ruling.reason.startsWith('dispute upheld') ? 'upheld the result' : 'overturned it',
    cancel: 'canceled the market',
  }[ruling.source];
  const note = ruling.reason.replace(/^dispute (upheld|overturned):\s*/, '').trim();
  return h(
    'div',
    { class: 'ruling', id: 'ruling' },
    h('h3', {}, 'A person’s ruling'),
    h('p', {}, `${who} ${what} on ${formatDate(ruling.decided_at_ms)}.`),
    note ? h('blockquote', { id: 'ruling-note' }, note) : null,
    engineShown
      ? h(
          'p',
          { class: 'muted' },
          'The engine’s evidence above is kept as it was: the ruling is recorded beside it.',
        )
      : null,
  );
}

/** The bettor's own wagers once paid: the exact return and profit, from the ledger. */
function myResult(market, myWagers) {
  const results = myWagers.map(wagerResult).filter(Boolean);
  if (!results.length) return null;
  const staked = myWagers.reduce((sum, w) => sum + Number(w.stake), 0);
  const paid = results.reduce((sum, r) => sum + r.paid, 0);
  const profit = paid - staked;
  const verb = market.status === 'canceled' ? 'refunded' : 'returned';
  return h(
    'p',
    { class: profit >= 0 ? 'ok payout' : 'payout', id: 'my-result' },
    `You staked ${formatMoney(staked)} and were ${verb} ${formatMoney(paid)}: `,
    profit >= 0 ? `profit ${formatMoney(profit)}.` : `loss ${formatMoney(-profit)}.`,
  );
}

function payoutNote(market) {
  if (market.paidAt) {
    return h('p', { class: 'ok', id: 'paid-note' }, `Paid out ${formatDate(market.paidAt)}.`);
  }
  if (!market.disputeUntil) return null;
  if (!disputeWindowOpen(market)) {
    return h(
      'p',
      { class: 'muted', id: 'dispute-window' },
      `Dispute window closed ${formatDate(market.disputeUntil)}; payouts follow.`,
    );
  }
  return h(
    'p',
    { class: 'muted', id: 'dispute-window' },
    'Disputes are open for ',
    h(
      'strong',
      {
        class: 'num',
        dataset: { countdownUntil: market.disputeUntil, countdownDone: 'no longer' },
      },
      formatCountdown(market.disputeUntil) ?? 'no longer',
    ),
    ` (until ${formatDate(market.disputeUntil)}); payouts follow.`,
  );
}

function disputeForm(market, onDisputed) {
  const reason = h('textarea', { id: 'dispute-reason', rows: 3, maxlength: 1000, required: true });
  const error = h('div', { class: 'alert', role: 'alert', hidden: true });
  const form = h(
    'form',
    { class: 'stack', id: 'dispute-form', novalidate: true },
    h('h3', {}, 'Think the evidence is wrong?'),
    error,
    field(
      'Reason for your dispute',
      reason,
      'An admin will review the evidence before anything is paid.',
    ),
    h('button', { type: 'submit', class: 'danger', id: 'dispute-submit' }, 'Dispute this result'),
  );
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    if (!reason.value.trim()) {
      error.textContent = 'Say what you think the evidence got wrong.';
      error.hidden = false;
      return;
    }
    if (!disputeWindowOpen(market)) {
      error.textContent = 'The dispute window has closed.';
      error.hidden = false;
      return;
    }
    try {
      await api(`/api/markets/${market.id}/disputes`, {
        method: 'POST',
        body: { reason: reason.value.trim() },
      });
      toast('Dispute filed. An admin will review it.');
      await onDisputed();
    } catch (err) {
      error.textContent = describeError(err);
      error.hidden = false;
    }
  });
  return form;
}
