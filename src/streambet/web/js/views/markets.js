// Markets: the list with live odds and pools (one market's page is views/market_page.js).

import { api, describeError, listOf } from '../api.js';
import { h, replace, statusPill } from '../dom.js';
import { formatMoney } from '../format.js';
import { live } from '../live.js';
import { applyOdds, marketIdOf, normaliseMarket } from '../markets_model.js';
import { session } from '../session.js';
import { flash, outcomeTiles } from './market_header.js';

export async function renderMarkets(main) {
  const cleanups = [];
  const filter = h(
    'select',
    { id: 'market-filter' },
    h('option', { value: '' }, 'All markets'),
    ['open', 'locked', 'review', 'resolved', 'disputed', 'canceled'].map((s) =>
      h('option', { value: s }, s),
    ),
  );
  const list = h('ul', { class: 'market-list', id: 'market-list', 'aria-live': 'off' });
  const status = h('p', { class: 'muted', role: 'status' }, 'Loading markets…');
  main.append(
    h(
      'div',
      { class: 'row spread' },
      h('h1', {}, 'Markets'),
      h(
        'div',
        { class: 'row' },
        h('label', { for: 'market-filter', class: 'sr-only' }, 'Show'),
        filter,
        session.can('operator')
          ? h('a', { class: 'button', href: '#/upload' }, 'New from footage')
          : null,
      ),
    ),
    status,
    list,
  );

  let markets = [];
  const card = (m) =>
    h(
      'li',
      { class: 'card market', id: `market-${m.id}`, dataset: { market: m.id } },
      h(
        'div',
        { class: 'row spread' },
        statusPill(m.status),
        h(
          'span',
          { class: 'muted num', dataset: { role: 'total' } },
          `Pool ${formatMoney(m.pool)}`,
        ),
      ),
      h('h3', {}, h('a', { href: `#/markets/${m.id}` }, m.question)),
      outcomeTiles(m),
      h(
        'a',
        { class: 'button', href: `#/markets/${m.id}`, 'aria-label': `Open market: ${m.question}` },
        m.status === 'open' ? 'Bet' : 'Details',
      ),
    );

  const draw = () => {
    const shown = markets.filter((m) => !filter.value || m.status === filter.value);
    status.textContent = shown.length ? '' : 'No markets here yet.';
    replace(list, shown.map(card));
  };
  let latest = 0; // answers can arrive out of order: only the newest request renders
  const load = async () => {
    const mine = ++latest;
    const q = filter.value ? `?status=${encodeURIComponent(filter.value)}` : '';
    const fresh = listOf(await api(`/api/markets${q}`)).map(normaliseMarket);
    if (mine !== latest) return;
    markets = fresh;
    draw();
  };
  filter.addEventListener('change', () =>
    load().catch((err) => {
      status.textContent = describeError(err);
    }),
  );
  cleanups.push(
    live.on('market.odds', (p) => {
      const m = markets.find((x) => String(x.id) === String(marketIdOf(p)));
      if (!m) return;
      const changed = applyOdds(m, p);
      const old = list.querySelector(`#market-${CSS.escape(String(m.id))}`);
      if (old) {
        const fresh = card(m);
        old.replaceWith(fresh);
        flash(fresh, m, changed);
      }
    }),
  );
  cleanups.push(live.on('market.status', () => load().catch(() => {})));
  cleanups.push(live.poll(load));
  try {
    await load();
  } catch (err) {
    status.textContent = describeError(err);
    status.classList.add('error-text');
  }
  return () => cleanups.forEach((fn) => fn());
}
