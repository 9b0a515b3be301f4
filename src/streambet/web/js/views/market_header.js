// A market's header and its odds: the question, status and pool, and one tile per outcome
// with its odds, stake and share of the pool (also the cards of the markets list).

import { h, statusPill } from '../dom.js';
import { formatMoney, formatOdds } from '../format.js';
import { isWinner, outcomeShare, STATUS_TEXT } from '../markets_model.js';

/** The question, the status in words, the pool and the takeout. */
export function marketHeader(market) {
  return [
    h('p', {}, h('a', { href: '#/markets' }, '← All markets')),
    h(
      'div',
      { class: 'row spread' },
      h('h1', { id: 'market-question' }, market.question),
      h('span', { id: 'market-status' }, statusPill(market.status)),
    ),
    h(
      'p',
      { class: 'muted' },
      STATUS_TEXT[market.status] || market.status,
      ' · ',
      h('span', { class: 'num', id: 'market-pool' }, `Pool ${formatMoney(market.pool)}`),
      market.takeoutBp ? ` · takeout ${(market.takeoutBp / 100).toFixed(2)}%` : '',
    ),
    // Bettors must know when the footage was analysed before betting opened.
    market.disclosure
      ? h('p', { class: 'notice', id: 'market-disclosure', role: 'note' }, market.disclosure)
      : null,
  ];
}

export function outcomeTiles(market) {
  return h(
    'div',
    { class: 'outcomes' },
    market.outcomes.map((o) =>
      h(
        'div',
        { class: 'outcome', dataset: { outcome: o.id }, id: `outcome-${market.id}-${o.id}` },
        h('div', { class: 'muted' }, o.title, isWinner(market, o) ? ' ✓ winner' : ''),
        h('div', { class: 'odds', dataset: { role: 'odds' } }, formatOdds(o.odds)),
        h('div', { class: 'pool num', dataset: { role: 'pool' } }, `${formatMoney(o.pool)} staked`),
        h(
          'div',
          { class: 'share', 'aria-hidden': 'true' },
          h('span', { style: { width: `${outcomeShare(market, o)}%` } }),
        ),
      ),
    ),
  );
}

/** Flashes the tiles of the outcomes whose pool just moved. */
export function flash(root, market, changed) {
  for (const id of changed) {
    const el = root.querySelector(
      `#outcome-${CSS.escape(String(market.id))}-${CSS.escape(String(id))}`,
    );
    if (!el) continue;
    el.classList.remove('flash');
    void el.offsetWidth; // restarts the animation
    el.classList.add('flash');
  }
}
