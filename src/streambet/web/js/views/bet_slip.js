// The bet slip: choose an outcome, type a stake, see the pool split and what a win would
// return if the pool closed now (pari-mutuel: an estimate that moves), place the wager
// (once, even when a retry follows a network error).

import { api, describeError } from '../api.js';
import { field, h, toast } from '../dom.js';
import { formatMoney, parseMoney } from '../format.js';
import {
  outcomeById,
  outcomeShare,
  payoutPreview,
  poolSplitText,
  stakeProblem,
} from '../markets_model.js';

/** An outcome's share of the pool beside its name in the slip. */
function shareText(market, outcome) {
  if (!market.pool) return 'no bets yet';
  return `${outcomeShare(market, outcome)}% of the pool`;
}

/** The pool now, split by outcome; an empty pool says so instead of inventing odds. */
function splitText(market) {
  const split = poolSplitText(market);
  return split
    ? `Pool now ${formatMoney(market.pool)}: ${split}.`
    : 'Nobody has bet yet: the pool is empty, so there are no odds yet.';
}

/**
 * The slip for an open market. `selected` is the outcome id chosen last (kept by the page
 * across redraws, null for the first outcome); `onSelect(id)` reports a new choice;
 * `onPlaced()` runs after a wager is accepted. The form's `refreshOdds(market)` shows the
 * odds of a newer copy of the market without disturbing what is being typed. An in-play
 * live market passes `held` ({notice}): its wagers go to /held-wagers and wait out the
 * bet delay, which `notice` explains above the button.
 */
export function betSlip({ market, balance, selected, onSelect, onPlaced, held = null }) {
  let current = market;
  const error = h('div', { class: 'alert', role: 'alert', id: 'wager-error', hidden: true });
  const stake = h('input', {
    type: 'text',
    id: 'stake',
    inputmode: 'decimal',
    autocomplete: 'off',
    placeholder: '10.00',
    'aria-describedby': 'payout',
  });
  const payout = h(
    'p',
    { class: 'payout', id: 'payout', 'aria-live': 'polite' },
    'Choose an outcome and a stake.',
  );
  const split = h('p', { class: 'muted num', id: 'pool-split' }, splitText(market));
  const choices = h(
    'div',
    { class: 'choice' },
    market.outcomes.map((o, i) =>
      h(
        'label',
        {},
        h('input', {
          type: 'radio',
          name: 'outcome',
          value: o.id,
          checked: selected === null ? i === 0 : String(o.id) === selected,
        }),
        `${o.title} `,
        h('span', { class: 'muted num', dataset: { role: 'slip-share' } }, shareText(market, o)),
      ),
    ),
  );
  const submit = h(
    'button',
    { type: 'submit', class: 'primary', id: 'place-wager' },
    'Place wager',
  );
  const form = h(
    'form',
    { class: 'card betslip', id: 'bet-slip', novalidate: true, 'aria-labelledby': 'slip-title' },
    h('h2', { id: 'slip-title' }, 'Bet slip'),
    split,
    error,
    h('fieldset', {}, h('legend', {}, 'Outcome'), choices),
    field(
      'Stake',
      stake,
      `Between ${formatMoney(market.minStake)} and ${formatMoney(market.maxStake)}. Your balance: ${formatMoney(balance)}.`,
    ),
    payout,
    h(
      'p',
      { class: 'hint' },
      'Pool betting: winners share everything staked, less the house takeout, in proportion' +
        ' to their stakes; the returns are fixed when the market locks.',
    ),
    held ? h('p', { class: 'alert', id: 'bet-delay-notice' }, held.notice) : null,
    submit,
  );

  const chosen = () =>
    outcomeById(current, form.querySelector('input[name=outcome]:checked')?.value);
  const update = () => {
    const o = chosen();
    if (o) onSelect(String(o.id));
    const preview = payoutPreview(current, o, stake.value);
    if (preview.invalid) stake.setAttribute('aria-invalid', 'true');
    else stake.removeAttribute('aria-invalid');
    payout.textContent = preview.text;
  };
  form.addEventListener('input', update);
  form.addEventListener('change', update);
  form.refreshOdds = (next) => {
    current = next;
    const shown = choices.querySelectorAll('[data-role=slip-share]');
    for (const [i, o] of current.outcomes.entries()) {
      if (shown[i]) shown[i].textContent = shareText(current, o);
    }
    split.textContent = splitText(current);
    update();
  };

  let key = null;
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    error.hidden = true;
    const o = chosen();
    const amount = parseMoney(stake.value);
    const problem = stakeProblem(current, o, stake.value, balance ?? null);
    if (problem) {
      error.textContent = problem;
      error.hidden = false;
      stake.focus();
      return;
    }
    // One key per intended wager: a retry after a network error cannot place it twice.
    key = key || crypto.randomUUID();
    submit.disabled = true;
    try {
      await api(`/api/markets/${current.id}/${held ? 'held-wagers' : 'wagers'}`, {
        method: 'POST',
        headers: { 'Idempotency-Key': key },
        body: { outcome_id: o.id, stake: amount },
      });
      key = null;
      stake.value = '';
      toast(
        held
          ? `Wager held for the bet delay: ${formatMoney(amount)} on ${o.title}.`
          : `Wager placed: ${formatMoney(amount)} on ${o.title}.`,
      );
      await onPlaced();
    } catch (err) {
      if (err.status) key = null;
      error.textContent = describeError(err);
      error.hidden = false;
    } finally {
      submit.disabled = false;
    }
  });
  update();
  return form;
}
