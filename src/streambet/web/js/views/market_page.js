// One market's page: loads the market and the bettor's wagers on it, lays out the header
// and odds, the bet slip, the operator's controls, the settlement and the wagers, and keeps
// them current from the live connection (odds, status) or, while it is down, by polling.

import { api, describeError, listOf } from '../api.js';
import { h, replace } from '../dom.js';
import { live } from '../live.js';
import { applyOdds, marketIdOf, normaliseMarket, oddsKey } from '../markets_model.js';
import { session } from '../session.js';
import { startCountdowns } from '../countdown.js';
import { betSlip } from './bet_slip.js';
import { flash, marketHeader, outcomeTiles } from './market_header.js';
import { operatorControls } from './operator_controls.js';
import { settlementView } from './settlement.js';
import { wagerTable } from './wager_table.js';

export async function renderMarket(main, id) {
  const cleanups = [];
  let market;
  let myWagers = [];
  let slipOutcome = null; // the outcome the bettor last chose, kept across re-renders
  const root = h('div', { id: 'market-view' });
  main.append(root);

  let latest = 0; // answers can arrive out of order: only the newest request counts
  const load = async () => {
    const mine = ++latest;
    const fresh = normaliseMarket(await api(`/api/markets/${id}`));
    let wagers = [];
    if (session.loggedIn) {
      try {
        wagers = listOf(await api('/api/me/wagers')).filter(
          (w) => String(w.market_id) === String(id),
        );
      } catch {
        wagers = [];
      }
    }
    if (mine !== latest) return;
    market = fresh;
    myWagers = wagers;
  };
  try {
    await load();
  } catch (err) {
    replace(root, h('p', { class: 'alert', role: 'alert' }, describeError(err)));
    return undefined;
  }

  const tiles = h('div', { id: 'market-outcomes' });
  const header = h('div');
  const slipBox = h('div');
  const mine = h('section', {
    class: 'card',
    id: 'my-market-wagers',
    'aria-labelledby': 'mine-title',
  });
  const settlementBox = h('div', { id: 'settlement-box' });
  const opsBox = h('div');

  const reload = async () => {
    await load();
    drawAll();
  };
  function drawOdds(changed = []) {
    replace(header, marketHeader(market));
    replace(tiles, outcomeTiles(market));
    flash(tiles, market, changed);
    slipBox.querySelector('form')?.refreshOdds(market);
  }
  function drawAll() {
    replace(header, marketHeader(market));
    replace(tiles, outcomeTiles(market));
    replace(
      slipBox,
      market.status === 'open' && !session.loggedIn ? signUpToBet() : null,
      market.status === 'open' && session.loggedIn
        ? betSlip({
            market,
            balance: session.balance,
            selected: slipOutcome,
            onSelect: (outcomeId) => {
              slipOutcome = outcomeId;
            },
            onPlaced: async () => {
              await Promise.all([load(), session.refresh()]);
              drawAll();
            },
          })
        : null,
    );
    mine.hidden = !session.loggedIn;
    replace(
      mine,
      h('h2', { id: 'mine-title' }, 'Your wagers on this market'),
      myWagers.length ? wagerTable(myWagers, market) : h('p', { class: 'muted' }, 'None yet.'),
    );
    replace(settlementBox, settlementView({ market, myWagers, onDisputed: reload }));
    replace(
      opsBox,
      session.can('operator')
        ? operatorControls({
            market,
            onDone: async () => {
              await load().catch(() => {});
              drawAll();
            },
          })
        : null,
    );
  }

  // Phone width stacks the columns: question, odds, then the slip right under them.
  root.append(
    h(
      'div',
      { class: 'grid two' },
      h(
        'div',
        { class: 'stack' },
        header,
        h('section', { class: 'card', 'aria-label': 'Odds and pools' }, tiles),
      ),
      h('div', { class: 'stack' }, slipBox, opsBox),
    ),
    h('div', { class: 'stack', style: { marginTop: '1rem' } }, settlementBox, mine),
  );
  drawAll();
  cleanups.push(startCountdowns(root));

  cleanups.push(
    live.on('market.odds', (p) => {
      if (String(marketIdOf(p)) !== String(id)) return;
      drawOdds(applyOdds(market, p));
    }),
  );
  cleanups.push(
    live.on('market.status', async (p) => {
      if (String(marketIdOf(p)) !== String(id)) return;
      await reload();
    }),
  );
  cleanups.push(
    live.poll(async () => {
      const before = oddsKey(market);
      await load();
      if (oddsKey(market) === before) return;
      // A bettor typing in the slip keeps it: only the odds around it change.
      if (slipBox.contains(document.activeElement)) drawOdds();
      else drawAll();
    }),
  );
  return () => cleanups.forEach((fn) => fn());
}

/** What a visitor sees instead of the slip. */
function signUpToBet() {
  return h(
    'section',
    { class: 'card stack', id: 'slip-signup', 'aria-labelledby': 'slip-signup-title' },
    h('h2', { id: 'slip-signup-title' }, 'Want to bet on this?'),
    h('p', {}, 'New accounts start with free play money. Sign up, then back an outcome here.'),
    h(
      'p',
      { class: 'row' },
      h('a', { class: 'button primary', href: '#/signup' }, 'Sign up'),
      h('a', { class: 'button', href: '#/login' }, 'Log in'),
    ),
  );
}
