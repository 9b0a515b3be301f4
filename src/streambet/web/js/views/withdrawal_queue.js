// The admin's withdrawal approval queue: withdrawals above the threshold (approve or
// reject; a rejection returns the money) and stalled ones the worker could not finish.

import { api, describeError, listOf } from '../api.js';
import { h, replace, statusPill, toast } from '../dom.js';
import { formatDate, formatMoney } from '../format.js';
import { statusText } from '../payments_model.js';

export async function renderWithdrawalQueue(main) {
  const list = h(
    'div',
    { id: 'withdrawal-queue', class: 'stack' },
    h('p', { class: 'muted' }, 'Loading…'),
  );
  main.append(
    h('h1', {}, 'Withdrawals to approve'),
    h(
      'p',
      { class: 'muted' },
      'Withdrawals above the approval threshold wait here; stalled ones need a person.',
    ),
    list,
  );
  const decide = async (item, verdict) => {
    const note = verdict === 'reject' ? (window.prompt('Why is it rejected?') ?? null) : '';
    if (note === null) return;
    try {
      await api(`/api/admin/withdrawals/${item.id}/${verdict}`, { method: 'POST', body: { note } });
      toast(`Withdrawal ${item.id} ${verdict === 'approve' ? 'approved' : 'rejected'}.`);
      await load();
    } catch (err) {
      toast(describeError(err), 'error');
    }
  };
  const load = async () => {
    const items = listOf(await api('/api/admin/withdrawals'));
    replace(
      list,
      items.length
        ? items.map((item) =>
            h(
              'article',
              { class: 'card', dataset: { id: String(item.id) } },
              h(
                'div',
                { class: 'row spread' },
                h('strong', {}, `${formatMoney(item.amount)} to user ${item.user_id}`),
                statusPill(item.status),
              ),
              h(
                'p',
                { class: 'muted' },
                `${statusText('withdrawal', item.status)} · ${item.provider} → ${item.destination} · asked ${formatDate(item.created_at_ms)}`,
              ),
              item.last_error ? h('p', { class: 'error-text' }, item.last_error) : null,
              ['awaiting_approval', 'stalled'].includes(item.status)
                ? h(
                    'div',
                    { class: 'row' },
                    h(
                      'button',
                      { type: 'button', class: 'primary', onclick: () => decide(item, 'approve') },
                      item.status === 'stalled' ? 'Try again' : 'Approve',
                    ),
                    h(
                      'button',
                      { type: 'button', onclick: () => decide(item, 'reject') },
                      item.status === 'stalled' ? 'Return the money' : 'Reject',
                    ),
                  )
                : null,
            ),
          )
        : h('p', { class: 'muted', id: 'queue-empty' }, 'Nothing is waiting.'),
    );
  };
  try {
    await load();
  } catch (err) {
    replace(list, h('p', { class: 'alert', role: 'alert' }, describeError(err)));
  }
}
