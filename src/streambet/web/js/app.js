// Entry point: hash router, header (navigation, balance, account) and the live connection.

import { setUnauthorizedHandler, getToken } from './api.js';
import { h, replace, toast } from './dom.js';
import { formatMoney } from './format.js';
import { live } from './live.js';
import { session } from './session.js';
import { renderAuth } from './views/auth.js';
import { renderMarkets } from './views/markets.js';
import { renderMarket } from './views/market_page.js';
import { renderUpload } from './views/upload.js';
import { renderAnalyses, renderAnalysis } from './views/analysis.js';
import { renderWagers } from './views/wagers.js';
import { renderReviews } from './views/reviews.js';
import { renderWallet } from './views/wallet.js';
import { renderAccount } from './views/account.js';
import { renderWithdrawalQueue } from './views/withdrawal_queue.js';
import { renderStream, renderStreams } from './views/streams.js';
import { renderLiveMarkets } from './views/live_markets.js';

const ROUTES = [
  { pattern: /^\/login$/, view: (m) => renderAuth(m, 'login'), public: true },
  { pattern: /^\/signup$/, view: (m) => renderAuth(m, 'signup'), public: true },
  // Visitors browse markets and their odds before signing in (`browse`: logged in or not).
  { pattern: /^\/markets$/, view: renderMarkets, nav: 'markets', browse: true },
  { pattern: /^\/markets\/([\w-]+)$/, view: renderMarket, nav: 'markets', browse: true },
  { pattern: /^\/wagers$/, view: renderWagers, nav: 'wagers' },
  { pattern: /^\/upload$/, view: renderUpload, nav: 'upload', role: 'operator' },
  { pattern: /^\/analyses$/, view: renderAnalyses, nav: 'analyses', role: 'operator' },
  { pattern: /^\/analyses\/([\w-]+)$/, view: renderAnalysis, nav: 'analyses', role: 'operator' },
  { pattern: /^\/streams$/, view: renderStreams, nav: 'streams', role: 'operator' },
  { pattern: /^\/streams\/(\d+)$/, view: renderStream, nav: 'streams', role: 'operator' },
  { pattern: /^\/live$/, view: (m) => renderLiveMarkets(m, null), nav: 'live' },
  { pattern: /^\/live\/(\d+)$/, view: renderLiveMarkets, nav: 'live' },
  { pattern: /^\/admin\/reviews$/, view: renderReviews, nav: 'reviews', role: 'admin' },
  { pattern: /^\/wallet$/, view: renderWallet, nav: 'wallet' },
  { pattern: /^\/account$/, view: renderAccount, nav: 'account' },
  {
    pattern: /^\/admin\/withdrawals$/,
    view: renderWithdrawalQueue,
    nav: 'withdrawals',
    role: 'admin',
  },
];

const NAV = [
  { id: 'markets', href: '#/markets', text: 'Markets' },
  { id: 'live', href: '#/live', text: 'Live betting' },
  { id: 'wagers', href: '#/wagers', text: 'My wagers' },
  { id: 'upload', href: '#/upload', text: 'Upload', role: 'operator' },
  { id: 'analyses', href: '#/analyses', text: 'Analyses', role: 'operator' },
  { id: 'streams', href: '#/streams', text: 'Live streams', role: 'operator' },
  { id: 'reviews', href: '#/admin/reviews', text: 'Reviews', role: 'admin' },
  { id: 'wallet', href: '#/wallet', text: 'Deposit & withdraw' },
  { id: 'account', href: '#/account', text: 'Account' },
  { id: 'withdrawals', href: '#/admin/withdrawals', text: 'Withdrawals', role: 'admin' },
];

let cleanup = null;
let currentNav = null;

function renderHeader() {
  const links = document.getElementById('nav-links');
  const account = document.getElementById('account');
  if (!session.loggedIn) {
    replace(
      links,
      h(
        'li',
        {},
        h(
          'a',
          { href: '#/markets', 'aria-current': currentNav === 'markets' ? 'page' : null },
          'Markets',
        ),
      ),
    );
    replace(
      account,
      h('a', { class: 'button', href: '#/login' }, 'Log in'),
      h('a', { class: 'button primary', href: '#/signup' }, 'Sign up'),
    );
    return;
  }
  replace(
    links,
    NAV.filter((item) => !item.role || session.can(item.role)).map((item) =>
      h(
        'li',
        {},
        h(
          'a',
          { href: item.href, 'aria-current': item.id === currentNav ? 'page' : null },
          item.text,
        ),
      ),
    ),
  );
  const name = session.user.display_name || session.user.email;
  replace(
    account,
    h(
      'span',
      {
        class: 'balance',
        id: 'balance',
        title: 'Your balance',
        'aria-label': `Balance ${formatMoney(session.balance)}`,
      },
      formatMoney(session.balance),
    ),
    h('span', { class: 'muted', id: 'who' }, name),
    h('span', { class: 'role-badge' }, session.user.role),
    h(
      'button',
      {
        type: 'button',
        id: 'logout',
        onclick: async () => {
          await session.end();
          location.hash = '#/login';
        },
      },
      'Log out',
    ),
  );
}

async function route() {
  const path = location.hash.replace(/^#/, '') || '/markets';
  const main = document.getElementById('main');
  if (cleanup) {
    try {
      cleanup();
    } catch (err) {
      console.warn(err);
    }
    cleanup = null;
  }
  for (const r of ROUTES) {
    const match = path.match(r.pattern);
    if (!match) continue;
    if (r.public && session.loggedIn) {
      location.hash = '#/markets';
      return;
    }
    if (!r.public && !r.browse && !session.loggedIn) {
      location.hash = '#/login';
      return;
    }
    if (r.role && !session.can(r.role)) {
      currentNav = null;
      renderHeader();
      replace(
        main,
        h(
          'div',
          { class: 'card' },
          h('h1', {}, 'Not available'),
          h('p', {}, `This page is for the ${r.role} role.`),
        ),
      );
      return;
    }
    currentNav = r.nav || null;
    renderHeader();
    replace(main);
    cleanup = (await r.view(main, ...match.slice(1))) || null;
    return;
  }
  location.hash = '#/markets';
}

const CONNECTION_HELP = {
  live: 'Live: odds, pools and results on this page update by themselves as they change.',
  connecting: 'Connecting to live updates.',
  reconnecting: 'The live connection dropped; reconnecting.',
  polling: 'No live connection: the page asks for news every few seconds instead.',
};

function renderConnection(state) {
  const el = document.getElementById('conn');
  el.dataset.state = state;
  el.title = CONNECTION_HELP[state];
  el.textContent = {
    live: '● Live',
    connecting: 'Connecting…',
    reconnecting: 'Reconnecting to live updates…',
    polling: 'Live updates unavailable: refreshing every few seconds.',
  }[state];
}

async function main() {
  // The hash is the router's; the skip link moves focus instead of navigating.
  document.querySelector('.skip-link').addEventListener('click', (event) => {
    event.preventDefault();
    document.getElementById('main').focus();
  });
  session.onChange(renderHeader);
  setUnauthorizedHandler(async () => {
    await session.refresh();
    if (!session.loggedIn) {
      toast('Your session has ended. Please log in again.', 'error');
      location.hash = '#/login';
    }
  });
  if (getToken()) await session.refresh();
  renderHeader();
  live.onState(renderConnection);
  live.start();
  // Balances move when markets settle or a wager lands; keep the header honest.
  live.on('market.status', () => session.loggedIn && session.refresh());
  live.on('payment.status', () => session.loggedIn && session.refresh());
  window.addEventListener('hashchange', route);
  await route();
}

main();
