// The account page: deposit limits per day, week and month (lower at once, higher after
// 24 hours) and self-exclusion. The server enforces both; this page only asks.

import { api, describeError } from '../api.js';
import { field, h, replace, toast } from '../dom.js';
import { formatDate, formatMoney, parseMoney } from '../format.js';
import { limitNote } from '../payments_model.js';
import { session } from '../session.js';

const PERIODS = ['day', 'week', 'month'];

export async function renderAccount(main) {
  const box = h(
    'div',
    { id: 'account-settings', class: 'stack' },
    h('p', { class: 'muted' }, 'Loading…'),
  );
  main.append(h('h1', {}, 'My account'), box);

  const render = (settings) => {
    const inputs = {};
    const rows = settings.limits.map((limit) => {
      const input = h('input', {
        id: `limit-${limit.period}`,
        inputmode: 'decimal',
        placeholder: 'no limit',
        value: limit.amount === null ? '' : (limit.amount / 100).toFixed(2),
      });
      inputs[limit.period] = input;
      return field(
        `Deposit limit per ${limit.period}`,
        input,
        limitNote(limit, formatMoney, formatDate),
      );
    });
    const limitsForm = h(
      'form',
      { class: 'card stack', id: 'limits-form', novalidate: true },
      h('h2', {}, 'Deposit limits'),
      h(
        'p',
        { class: 'muted' },
        'A lower limit applies at once; a higher one (or none) after 24 hours.',
      ),
      rows,
      h('button', { type: 'submit', class: 'primary', id: 'limits-save' }, 'Save limits'),
    );
    limitsForm.addEventListener('submit', async (event) => {
      event.preventDefault();
      const body = {};
      for (const period of PERIODS) {
        const text = inputs[period].value.trim();
        if (!text) {
          body[period] = null;
          continue;
        }
        const amount = parseMoney(text);
        if (!amount) {
          toast(`The ${period} limit is not an amount.`, 'error');
          return;
        }
        body[period] = amount;
      }
      try {
        render(await api('/api/me/limits', { method: 'PUT', body }));
        toast('Limits saved.');
      } catch (err) {
        toast(describeError(err), 'error');
      }
    });

    const until = settings.excluded_until_ms;
    const days = h(
      'select',
      { id: 'exclusion-days' },
      [1, 7, 30, 180, 365, 1825].map((d) =>
        h('option', { value: String(d) }, `${d} day${d === 1 ? '' : 's'}`),
      ),
    );
    const exclusion = h(
      'form',
      { class: 'card stack', id: 'exclusion-form' },
      h('h2', {}, 'Take a break'),
      until
        ? h(
            'p',
            { class: 'alert', id: 'excluded-until' },
            `You are self-excluded until ${formatDate(until)}: no wagers or deposits. Withdrawals stay open.`,
          )
        : h(
            'p',
            { class: 'muted' },
            'Self-exclusion stops wagers and deposits for the time you choose. It cannot be shortened or lifted early; withdrawals stay open.',
          ),
      field('For', days),
      h(
        'button',
        { type: 'submit', id: 'exclusion-submit' },
        until ? 'Extend my break' : 'Exclude me',
      ),
    );
    exclusion.addEventListener('submit', async (event) => {
      event.preventDefault();
      if (
        !window.confirm(
          `No wagers or deposits for ${days.value} days. This cannot be undone. Continue?`,
        )
      )
        return;
      try {
        render(
          await api('/api/me/self-exclusion', {
            method: 'POST',
            body: { days: Number(days.value) },
          }),
        );
        toast('Your break has started.');
      } catch (err) {
        toast(describeError(err), 'error');
      }
    });
    replace(
      box,
      h(
        'section',
        { class: 'card' },
        h(
          'p',
          {},
          `${session.user?.email} · balance ${formatMoney(session.balance)} · `,
          h('a', { href: '#/wallet' }, 'Deposit or withdraw'),
        ),
      ),
      limitsForm,
      exclusion,
    );
  };
  try {
    render(await api('/api/me/limits'));
  } catch (err) {
    replace(box, h('p', { class: 'alert', role: 'alert' }, describeError(err)));
  }
}
