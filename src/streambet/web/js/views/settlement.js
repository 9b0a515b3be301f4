// A decided market's settlement: the outcome and its confidence, why, the model, payout or
// dispute window, the evidence frames, and the dispute form for a bettor with a stake.

import { api, describeError } from '../api.js';
import { field, h, toast } from '../dom.js';
import { evidenceGrid, evidenceItems } from '../evidence.js';
import { formatDate, formatPercent } from '../format.js';
import {
  canDispute,
  disputeWindowOpen,
  settlementHeadline,
  showsSettlement,
} from '../markets_model.js';

/** The settlement section, or null before the market is decided; `onDisputed()` runs after
 * a dispute is filed. */
export function settlementView({ market, myWagers, onDisputed }) {
  if (!showsSettlement(market)) return null;
  const s = market.settlement;
  const evidence = s?.evidence ?? {};
  const section = h(
    'section',
    { class: 'card stack', id: 'settlement', 'aria-labelledby': 'settlement-title' },
    h('h2', { id: 'settlement-title' }, 'Settlement'),
    h(
      'p',
      { id: 'settlement-outcome' },
      h('strong', {}, settlementHeadline(market)),
      s?.confidence !== undefined ? ` · confidence ${formatPercent(s.confidence)}` : '',
    ),
    evidence.reason ? h('p', { class: 'muted' }, `Why: ${evidence.reason}.`) : null,
    evidence.model_version ? h('p', { class: 'muted' }, `Model: ${evidence.model_version}`) : null,
    payoutNote(market),
    h('h3', {}, 'Evidence'),
    evidenceGrid(evidenceItems(s), market.analysisId),
  );
  if (canDispute(market, myWagers)) section.append(disputeForm(market, onDisputed));
  return section;
}

function payoutNote(market) {
  if (market.paidAt) {
    return h('p', { class: 'ok', id: 'paid-note' }, `Paid out ${formatDate(market.paidAt)}.`);
  }
  if (!market.disputeUntil) return null;
  const when = disputeWindowOpen(market) ? 'Disputes are open until' : 'Dispute window closed';
  return h('p', { class: 'muted' }, `${when} ${formatDate(market.disputeUntil)}; payouts follow.`);
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
