// A table of wagers: on one market (its page), or on many (the bettor's wagers page).

import { h, statusPill } from '../dom.js';
import { formatMoney } from '../format.js';
import { outcomeById, wagerStatus } from '../markets_model.js';

/** Wagers as a table; `market` when they are all on one, else `markets` maps id -> market. */
export function wagerTable(wagers, market, markets = new Map()) {
  return h(
    'div',
    { class: 'table-wrap' },
    h(
      'table',
      { class: 'wagers' },
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          market ? null : h('th', {}, 'Market'),
          h('th', {}, 'Outcome'),
          h('th', {}, 'Stake'),
          h('th', {}, 'Status'),
          h('th', {}, 'Payout'),
        ),
      ),
      h(
        'tbody',
        {},
        wagers.map((w) => {
          const mId = w.market_id;
          const m = market || markets.get(String(mId));
          const outcome = m ? outcomeById(m, w.outcome_id) : undefined;
          const title = outcome?.title ?? '—';
          return h(
            'tr',
            { dataset: { wager: w.id } },
            market
              ? null
              : h('td', {}, h('a', { href: `#/markets/${mId}` }, m?.question ?? `Market ${mId}`)),
            h('td', {}, title),
            h('td', { class: 'num' }, formatMoney(w.stake)),
            h('td', {}, statusPill(wagerStatus(w, m?.status))),
            h(
              'td',
              { class: 'num' },
              w.payout === undefined || w.payout === null ? '—' : formatMoney(w.payout),
            ),
          );
        }),
      ),
    ),
  );
}
