// The admin's review queue: markets the evidence could not settle and disputed results,
// the evidence beside the complaint, and uphold / overturn / void.

import { api, describeError, listOf } from '../api.js';
import { field, h, replace, statusPill, toast } from '../dom.js';
import { evidenceGrid, evidenceItems } from '../evidence.js';
import { formatDate, formatMoney, formatPercent } from '../format.js';
import { live } from '../live.js';
import { normaliseMarket } from '../markets_model.js';
import { marketMeta } from './market_header.js';

export async function renderReviews(main) {
  const list = h(
    'div',
    { id: 'review-queue', class: 'stack' },
    h('p', { class: 'muted' }, 'Loading…'),
  );
  const payouts = h(
    'button',
    { type: 'button', id: 'run-payouts' },
    'Run settlements and payouts now',
  );
  main.append(
    h('div', { class: 'row spread' }, h('h1', {}, 'Review queue'), payouts),
    h(
      'p',
      { class: 'muted' },
      'Markets the evidence could not settle on its own, and results bettors dispute.',
    ),
    list,
  );

  payouts.addEventListener('click', async () => {
    payouts.disabled = true;
    try {
      // The periodic betting job, run now: lock due markets, settle, pay closed windows.
      const run = await api('/api/admin/payouts/run', { method: 'POST', body: {} });
      const count = (n, what) => `${n} market${n === 1 ? '' : 's'} ${what}`;
      const parts = [
        [run.locked, 'locked'],
        [run.settled, 'settled'],
        [run.paid, 'paid out'],
      ]
        .filter(([ids]) => ids.length)
        .map(([ids, what]) => count(ids.length, what));
      toast(parts.length ? `Done: ${parts.join(', ')}.` : 'Nothing was due.');
      await load();
    } catch (err) {
      toast(describeError(err), 'error');
    } finally {
      payouts.disabled = false;
    }
  });

  let latest = 0; // answers can arrive out of order: only the newest request renders
  const load = async () => {
    const mine = ++latest;
    const items = listOf(await api('/api/admin/reviews'));
    if (mine !== latest) return;
    replace(
      list,
      items.length
        ? items.map((item) => reviewCard(item, load))
        : h('p', { class: 'card', id: 'queue-empty' }, 'Nothing to review.'),
    );
  };
  const stop = [live.on('market.status', () => load().catch(() => {})), live.poll(load)];
  try {
    await load();
  } catch (err) {
    replace(list, h('p', { class: 'alert', role: 'alert' }, describeError(err)));
  }
  return () => stop.forEach((fn) => fn());
}

function reviewCard(item, reload) {
  const market = normaliseMarket(item.market);
  const disputes = item.disputes.filter((d) => d.status === 'open');
  // The engine's decision, even when a person ruled after it (a disputed ruling).
  const s = market.engineSettlement ?? market.settlement;
  const evidence = s?.evidence ?? {};
  const winner = market.outcomes.find((o) => String(o.id) === String(market.winningOutcomeId));
  const outcome = h(
    'select',
    { id: `ruling-outcome-${market.id}` },
    market.outcomes.map((o) => h('option', { value: o.id }, o.title)),
  );
  const note = h('input', { type: 'text', id: `ruling-note-${market.id}`, maxlength: 2000 });
  const error = h('div', { class: 'alert', role: 'alert', hidden: true });

  const send = (path, body, done) => async (event) => {
    const button = event.currentTarget;
    button.disabled = true;
    error.hidden = true;
    try {
      await api(path, { method: 'POST', body });
      toast(done);
      await reload();
    } catch (err) {
      error.textContent = describeError(err);
      error.hidden = false;
      button.disabled = false;
    }
  };
  const chosen = () => Number(outcome.value);
  const actions = [];
  if (market.status === 'disputed' && disputes.length) {
    // A ruling decides every open dispute on the market at once.
    const path = `/api/admin/disputes/${disputes[0].id}`;
    actions.push(
      h(
        'button',
        {
          type: 'button',
          class: 'primary',
          onclick: (e) =>
            send(
              path,
              { decision: 'uphold', note: note.value.trim() },
              'Result upheld; the market pays out.',
            )(e),
        },
        `Uphold “${winner?.title ?? 'result'}”`,
      ),
      h(
        'button',
        {
          type: 'button',
          onclick: (e) =>
            send(
              path,
              { decision: 'overturn', outcome_id: chosen(), note: note.value.trim() },
              'Result overturned; the market pays out.',
            )(e),
        },
        'Overturn to the chosen outcome',
      ),
      h(
        'button',
        {
          type: 'button',
          class: 'danger',
          onclick: (e) =>
            send(
              path,
              { decision: 'overturn', note: note.value.trim() },
              'Market voided; stakes refunded.',
            )(e),
        },
        'Void and refund',
      ),
    );
  } else {
    actions.push(
      h(
        'button',
        {
          type: 'button',
          class: 'primary',
          onclick: (e) =>
            send(
              `/api/markets/${market.id}/resolve`,
              { outcome_id: chosen(), note: note.value.trim() },
              'Resolved; the dispute window is open.',
            )(e),
        },
        'Settle on the chosen outcome',
      ),
      h(
        'button',
        {
          type: 'button',
          class: 'danger',
          onclick: (e) =>
            send(
              `/api/markets/${market.id}/cancel`,
              { reason: note.value.trim() || 'Voided in review' },
              'Market voided; stakes refunded.',
            )(e),
        },
        'Void and refund',
      ),
    );
  }

  return h(
    'article',
    {
      class: 'card stack',
      id: `review-${market.id}`,
      'aria-labelledby': `review-title-${market.id}`,
    },
    h(
      'div',
      { class: 'row spread' },
      h(
        'h2',
        { id: `review-title-${market.id}` },
        h('a', { href: `#/markets/${market.id}` }, market.question),
      ),
      statusPill(market.status),
    ),
    // Equal questions are told apart by number, creator and opening time.
    marketMeta(market),
    h(
      'p',
      { class: 'muted num' },
      `Pool ${formatMoney(market.pool)}`,
      winner ? ` · resolved as “${winner.title}”` : '',
    ),
    h(
      'div',
      { class: 'side-by-side' },
      h(
        'section',
        { class: 'stack', 'aria-label': 'Machine evidence' },
        h('h3', {}, 'What the engine saw'),
        s
          ? h(
              'p',
              {},
              `Confidence ${formatPercent(s.confidence)} · ${s.reason || evidence.reason || ''}`,
            )
          : h('p', { class: 'muted' }, 'No settlement recorded.'),
        h(
          'ul',
          {},
          (evidence.outcomes || []).map((v) => {
            const o = market.outcomes.find((x) => String(x.id) === String(v.outcome_id));
            return h(
              'li',
              {},
              `${o?.title ?? v.outcome_id}: ${String(v.verdict).replace('_', ' ')} at ${formatPercent(v.confidence)}${v.window_fully_analysed === false ? ' (window only partly analysed)' : ''}`,
            );
          }),
        ),
        evidenceGrid(evidenceItems(s), market.analysisId, { limit: 4 }),
      ),
      h(
        'section',
        { class: 'stack', 'aria-label': 'Disputes and decision' },
        h('h3', {}, disputes.length ? `Disputes (${disputes.length})` : 'Decision needed'),
        disputes.length
          ? h(
              'ul',
              {},
              disputes.map((d) =>
                h(
                  'li',
                  {},
                  h('q', {}, d.reason),
                  h(
                    'span',
                    { class: 'muted' },
                    ` — bettor #${d.user_id}, ${formatDate(d.created_at_ms)}`,
                  ),
                ),
              ),
            )
          : h(
              'p',
              { class: 'muted' },
              'The evidence fell between the review floor and the auto-settle confidence, or the window was only partly analysed.',
            ),
        error,
        field('Outcome', outcome),
        field('Note for the record (optional)', note),
        h('div', { class: 'row' }, actions),
      ),
    ),
  );
}
