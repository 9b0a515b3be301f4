// Deposit and withdraw: start a deposit with an enabled provider, request a withdrawal,
// and watch both lists update live from the `payment.status` topic (the owner's only).

import { api, describeError, listOf } from '../api.js';
import { field, h, replace, statusPill, toast } from '../dom.js';
import { formatDate, formatMoney, parseMoney } from '../format.js';
import { live } from '../live.js';
import { applyUpdate, paymentSteps, statusText } from '../payments_model.js';
import { session } from '../session.js';
import { cardForm, loadStripe } from '../stripe_card.js';

/** Stripe's card form for a new deposit, under its steps, with a button to pay. */
async function offerCard(steps, deposit, publishableKey) {
  const box = h('div', { id: 'stripe-card', class: 'stack' });
  const payButton = h('button', { type: 'button', class: 'primary', id: 'stripe-pay' }, 'Pay');
  const said = h('p', { class: 'muted', 'aria-live': 'polite' });
  steps.append(box, payButton, said);
  try {
    const stripe = await loadStripe(publishableKey);
    const pay = cardForm(stripe, deposit.instructions.client_secret, box, window.location.href);
    payButton.addEventListener('click', async () => {
      payButton.disabled = true;
      const outcome = await pay().catch((err) => ({ ok: false, text: describeError(err) }));
      said.textContent = outcome.text;
      payButton.disabled = outcome.ok;
    });
  } catch (err) {
    payButton.remove();
    said.textContent = describeError(err);
  }
}

function paymentTable(kind, items) {
  if (!items.length) return h('p', { class: 'muted' }, `No ${kind}s yet.`);
  return h(
    'table',
    { class: 'table', id: `${kind}-table` },
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        h('th', {}, 'When'),
        h('th', {}, 'Amount'),
        h('th', {}, 'Via'),
        h('th', {}, 'Status'),
      ),
    ),
    h(
      'tbody',
      {},
      items.map((item) =>
        h(
          'tr',
          { dataset: { id: String(item.id), status: item.status } },
          h('td', {}, formatDate(item.created_at_ms)),
          h('td', { class: 'num' }, formatMoney(item.amount)),
          h('td', {}, item.provider),
          h(
            'td',
            {},
            statusPill(item.status),
            ' ',
            h('span', { class: 'muted status-text' }, statusText(kind, item.status)),
          ),
        ),
      ),
    ),
  );
}

export async function renderWallet(main) {
  const providers = await api('/api/payments/providers').catch(() => null);
  const deposits = { items: [] };
  const withdrawals = { items: [] };
  const depositBox = h('section', {
    class: 'card',
    id: 'deposits',
    'aria-labelledby': 'dep-title',
  });
  const withdrawBox = h('section', {
    class: 'card',
    id: 'withdrawals',
    'aria-labelledby': 'wd-title',
  });
  const steps = h('div', {
    id: 'deposit-steps',
    class: 'notice',
    hidden: true,
    'aria-live': 'polite',
  });

  const amountIn = h('input', { id: 'deposit-amount', inputmode: 'decimal', required: true });
  const via = h(
    'select',
    { id: 'deposit-provider' },
    (providers?.deposits || ['play']).map((p) => h('option', { value: p }, p)),
  );
  const coin = h('input', { id: 'deposit-coin', value: 'btc', maxlength: 16 });
  const coinField = field('Pay in (crypto)', coin);
  const syncCoin = () => (coinField.hidden = via.value !== 'nowpayments');
  via.addEventListener('change', syncCoin);
  syncCoin();
  const depositForm = h(
    'form',
    { class: 'stack', id: 'deposit-form', novalidate: true },
    field(`Amount (${providers?.currency || 'cr'})`, amountIn),
    field('Through', via),
    coinField,
    h('button', { type: 'submit', class: 'primary', id: 'deposit-submit' }, 'Deposit'),
  );
  depositForm.addEventListener('submit', async (event) => {
    event.preventDefault();
    const amount = parseMoney(amountIn.value);
    if (!amount) {
      toast('Enter an amount such as 25 or 12.50.', 'error');
      return;
    }
    try {
      const body = { amount, provider: via.value };
      if (via.value === 'nowpayments') body.pay_currency = coin.value.trim();
      const made = await api('/api/me/deposits', { method: 'POST', body });
      const lines = paymentSteps(made);
      replace(steps, ...lines.map((line) => h('p', {}, line)));
      steps.hidden = !lines.length;
      if (made.instructions?.kind === 'stripe' && providers?.stripe_publishable_key) {
        offerCard(steps, made, providers.stripe_publishable_key);
      }
      toast(`Deposit ${made.id}: ${statusText('deposit', made.status)}.`);
      amountIn.value = '';
      await session.refresh();
      await load();
    } catch (err) {
      toast(describeError(err), 'error');
    }
  });

  const outIn = h('input', { id: 'withdraw-amount', inputmode: 'decimal', required: true });
  const dest = h('input', { id: 'withdraw-destination', maxlength: 128 });
  const needsDest = providers?.payouts === 'stripe';
  const withdrawForm = h(
    'form',
    { class: 'stack', id: 'withdraw-form', novalidate: true },
    field(
      'Amount',
      outIn,
      providers
        ? `Above ${formatMoney(providers.approval_threshold)} an admin approves it first.`
        : null,
    ),
    needsDest ? field('Your Stripe account (acct_…)', dest) : null,
    h('button', { type: 'submit', id: 'withdraw-submit' }, 'Withdraw'),
  );
  withdrawForm.addEventListener('submit', async (event) => {
    event.preventDefault();
    const amount = parseMoney(outIn.value);
    if (!amount) {
      toast('Enter an amount such as 25 or 12.50.', 'error');
      return;
    }
    try {
      const made = await api('/api/me/withdrawals', {
        method: 'POST',
        body: { amount, destination: dest.value.trim() },
      });
      toast(`Withdrawal ${made.id}: ${statusText('withdrawal', made.status)}.`);
      outIn.value = '';
      await session.refresh();
      await load();
    } catch (err) {
      toast(describeError(err), 'error');
    }
  });

  main.append(
    h('h1', {}, 'Deposit and withdraw'),
    h(
      'div',
      { class: 'grid pair' },
      h('section', { class: 'card' }, h('h2', {}, 'Deposit'), depositForm, steps),
      h('section', { class: 'card' }, h('h2', {}, 'Withdraw'), withdrawForm),
    ),
    depositBox,
    withdrawBox,
  );

  const render = () => {
    replace(
      depositBox,
      h('h2', { id: 'dep-title' }, 'My deposits'),
      paymentTable('deposit', deposits.items),
    );
    replace(
      withdrawBox,
      h('h2', { id: 'wd-title' }, 'My withdrawals'),
      paymentTable('withdrawal', withdrawals.items),
    );
  };
  let latest = 0; // answers can arrive out of order: only the newest request renders
  const load = async () => {
    const mine = ++latest;
    const [d, w] = await Promise.all([api('/api/me/deposits'), api('/api/me/withdrawals')]);
    if (mine !== latest) return;
    deposits.items = listOf(d);
    withdrawals.items = listOf(w);
    render();
  };
  const onNews = (message) => {
    const list = message.kind === 'withdrawal' ? withdrawals : deposits;
    const next = applyUpdate(list.items, message.kind, message);
    if (next === null) {
      load().catch(() => {});
      return;
    }
    list.items = next;
    render();
    session.refresh();
  };
  const stop = [live.on('payment.status', onNews), live.poll(load)];
  try {
    await load();
  } catch (err) {
    replace(depositBox, h('p', { class: 'alert', role: 'alert' }, describeError(err)));
  }
  return () => stop.forEach((fn) => fn());
}
