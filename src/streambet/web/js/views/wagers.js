// The bettor's open and settled wagers.

import { api, describeError, listOf } from '../api.js';
import { h, replace } from '../dom.js';
import { formatMoney } from '../format.js';
import { live } from '../live.js';
import { normaliseMarket, wagerSettled } from '../markets_model.js';
import { session } from '../session.js';
import { wagerTable } from './wager_table.js';

async function marketsFor(wagers) {
  const ids = [...new Set(wagers.map((w) => String(w.market_id)))];
  const markets = await Promise.all(
    ids.map((id) =>
      api(`/api/markets/${id}`)
        .then(normaliseMarket)
        .catch(() => null),
    ),
  );
  return new Map(markets.filter(Boolean).map((m) => [String(m.id), m]));
}

export async function renderWagers(main) {
  const summary = h('p', { class: 'muted', id: 'wager-summary' });
  const open = h('section', { class: 'card', id: 'open-wagers', 'aria-labelledby': 'open-title' });
  const settled = h('section', {
    class: 'card',
    id: 'settled-wagers',
    'aria-labelledby': 'settled-title',
  });
  main.append(h('h1', {}, 'My wagers'), summary, open, settled);
  let latest = 0; // answers can arrive out of order: only the newest request renders
  const load = async () => {
    const mine = ++latest;
    const wagers = listOf(await api('/api/me/wagers'));
    const markets = await marketsFor(wagers);
    if (mine !== latest) return;
    // Open until its money moves: a wager on a locked or in-review market is still open.
    const isOpen = (w) => !wagerSettled(w, markets.get(String(w.market_id))?.status);
    const o = wagers.filter(isOpen);
    const s = wagers.filter((w) => !isOpen(w));
    summary.textContent = `Balance ${formatMoney(session.balance)} · ${o.length} open, ${s.length} settled.`;
    replace(
      open,
      h('h2', { id: 'open-title' }, 'Open'),
      o.length
        ? wagerTable(o, null, markets)
        : h(
            'p',
            { class: 'muted' },
            'No open wagers. ',
            h('a', { href: '#/markets' }, 'Find a market.'),
          ),
    );
    replace(
      settled,
      h('h2', { id: 'settled-title' }, 'Settled'),
      s.length ? wagerTable(s, null, markets) : h('p', { class: 'muted' }, 'Nothing settled yet.'),
    );
  };
  const stop = [live.on('market.status', () => load().catch(() => {})), live.poll(load)];
  try {
    await load();
  } catch (err) {
    replace(open, h('p', { class: 'alert', role: 'alert' }, describeError(err)));
  }
  return () => stop.forEach((fn) => fn());
}
