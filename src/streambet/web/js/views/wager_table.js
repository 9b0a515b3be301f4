// A table of wagers: on one market (its page), or on many (the bettor's wagers page). Paid
// wagers show the exact return and profit the ledger booked; on a phone each row stacks
// into labelled lines, so no column is cut off.

import { h, statusPill } from '../dom.js';
import { formatMoney } from '../format.js';
import { outcomeById, wagerResult, wagerStatus } from '../markets_model.js';

function cell(label, content, cls = null) {
  return h('td', { class: cls, dataset: { label } }, content);
}

/** Wagers as a table; `market` when they are all on one, else `markets` maps id -> market. */
export function wagerTable(wagers, market, markets = new Map()) {
  return h(
    'div',
    { class: 'table-wrap' },
    h(
      'table',
      { class: 'wagers stacking' },
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
          h('th', {}, 'Return'),
          h('th', {}, 'Profit'),
        ),
      ),
      h(
        'tbody',
        {},
        wagers.map((w) => {
          const mId = w.market_id;
          const m = market || markets.get(String(mId));
          const outcome = m ? outcomeById(m, w.outcome_id) : undefined;
          const result = wagerResult(w);
          return h(
            'tr',
            { dataset: { wager: w.id } },
            market
              ? null
              : cell(
                  'Market',
                  h('a', { href: `#/markets/${mId}` }, m?.question ?? `Market ${mId}`),
                ),
            cell('Outcome', outcome?.title ?? '—'),
            cell('Stake', formatMoney(w.stake), 'num'),
            cell('Status', statusPill(wagerStatus(w, m?.status, m?.winningOutcomeId ?? null))),
            cell('Return', result ? formatMoney(result.paid) : '—', 'num'),
            cell(
              'Profit',
              result
                ? `${result.profit >= 0 ? '+' : '−'}${formatMoney(Math.abs(result.profit))}`
                : '—',
              'num',
            ),
          );
        }),
      ),
    ),
  );
}
