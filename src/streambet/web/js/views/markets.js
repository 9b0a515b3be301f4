// Markets: the list with live odds and pools (one market's page is views/market_page.js).

import { api, describeError, listOf } from '../api.js';
import { h, replace, statusPill } from '../dom.js';
import { formatMoney } from '../format.js';
import { live } from '../live.js';
import { applyOdds, marketIdOf, normaliseMarket } from '../markets_model.js';
import { session } from '../session.js';
import { startCountdowns } from '../countdown.js';
import { WELCOME_KEY } from './auth.js';
import { closingLine, flash, marketMeta, outcomeTiles } from './market_header.js';

/** One line on what StreamBet is, for a visitor; and what the live indicator means. */
function intro() {
  return h(
    'section',
    { class: 'card intro', id: 'intro', 'aria-label': 'About StreamBet' },
    h(
      'p',
      {},
      h('strong', {}, 'StreamBet'),
      ' lets you bet play money on what happens in a video: an AI engine watches the' +
        ' footage and settles every market from the frames it saw, with the evidence shown.',
    ),
    h(
      'p',
      { class: 'row' },
      h('a', { class: 'button primary', href: '#/signup' }, 'Sign up: start with free credit'),
      h('a', { class: 'button', href: '#/login' }, 'Log in'),
    ),
  );
}

/** After sign-up, once: the starting credit, confirmed. */
function welcome() {
  if (!session.loggedIn || !sessionStorage.getItem(WELCOME_KEY)) return null;
  sessionStorage.removeItem(WELCOME_KEY);
  const name = session.user.display_name || session.user.email;
  return h(
    'p',
    { class: 'card notice ok', id: 'welcome', role: 'status' },
    `Welcome, ${name}! Your account starts with ${formatMoney(session.balance)} of play` +
      ' money. Pick a market below, choose an outcome and stake some of it.',
  );
}

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
    ...[session.loggedIn ? welcome() : intro()].filter(Boolean),
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
    h(
      'p',
      { class: 'muted', id: 'live-help' },
      '● Live (top left) means odds, pools and results here update by themselves.',
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
      marketMeta(m),
      closingLine(m),
      outcomeTiles(m),
      h(
        'a',
        {
          class: 'button',
          href: `#/markets/${m.id}`,
          'aria-label': `Open market: ${m.question} (#${m.id})`,
        },
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
  cleanups.push(startCountdowns(list));
  try {
    await load();
  } catch (err) {
    status.textContent = describeError(err);
    status.classList.add('error-text');
  }
  return () => cleanups.forEach((fn) => fn());
}
