// Markets: the list with live odds and pools, and one market with its bet slip, the
// bettor's wagers on it, the operator's controls, and the settlement with its evidence.

import { api, describeError, listOf } from '../api.js';
import { field, h, replace, statusPill, toast } from '../dom.js';
import { evidenceGrid, evidenceItems } from '../evidence.js';
import { formatDate, formatMoney, formatOdds, formatPercent, parseMoney } from '../format.js';
import { live } from '../live.js';
import {
  applyOdds,
  marketIdOf,
  normaliseMarket,
  STATUS_TEXT,
  wagerStatus,
} from '../markets_model.js';
import { session } from '../session.js';

function outcomeTiles(market) {
  return h(
    'div',
    { class: 'outcomes' },
    market.outcomes.map((o) => {
      const share = market.pool ? Math.round((o.pool / market.pool) * 100) : 0;
      return h(
        'div',
        { class: 'outcome', dataset: { outcome: o.id }, id: `outcome-${market.id}-${o.id}` },
        h(
          'div',
          { class: 'muted' },
          o.title,
          String(market.winningOutcomeId) === String(o.id) ? ' ✓ winner' : '',
        ),
        h('div', { class: 'odds', dataset: { role: 'odds' } }, formatOdds(o.odds)),
        h('div', { class: 'pool num', dataset: { role: 'pool' } }, `${formatMoney(o.pool)} staked`),
        h(
          'div',
          { class: 'share', 'aria-hidden': 'true' },
          h('span', { style: { width: `${share}%` } }),
        ),
      );
    }),
  );
}

function flash(root, market, changed) {
  for (const id of changed) {
    const el = root.querySelector(
      `#outcome-${CSS.escape(String(market.id))}-${CSS.escape(String(id))}`,
    );
    if (!el) continue;
    el.classList.remove('flash');
    void el.offsetWidth;
    el.classList.add('flash');
  }
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
    let wagers;
    try {
      wagers = listOf(await api('/api/me/wagers')).filter(
        (w) => String(w.market_id) === String(id),
      );
    } catch {
      wagers = [];
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

  function drawHeader() {
    replace(
      header,
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
    );
  }
  function drawTiles(changed = []) {
    replace(tiles, outcomeTiles(market));
    flash(tiles, market, changed);
  }
  function drawMine() {
    replace(
      mine,
      h('h2', { id: 'mine-title' }, 'Your wagers on this market'),
      myWagers.length ? wagerTable(myWagers, market) : h('p', { class: 'muted' }, 'None yet.'),
    );
  }
  function drawAll(changed) {
    drawHeader();
    drawTiles(changed);
    replace(slipBox, market.status === 'open' ? betSlip() : null);
    drawMine();
    replace(settlementBox, settlementView());
    replace(opsBox, session.can('operator') ? operatorControls() : null);
  }

  function betSlip() {
    const error = h('div', { class: 'alert', role: 'alert', id: 'wager-error', hidden: true });
    const stake = h('input', {
      type: 'text',
      id: 'stake',
      inputmode: 'decimal',
      autocomplete: 'off',
      placeholder: '10.00',
      'aria-describedby': 'payout',
    });
    const payout = h(
      'p',
      { class: 'payout num', id: 'payout', 'aria-live': 'polite' },
      'Choose an outcome and a stake.',
    );
    const choices = h(
      'div',
      { class: 'choice' },
      market.outcomes.map((o, i) =>
        h(
          'label',
          {},
          h('input', {
            type: 'radio',
            name: 'outcome',
            value: o.id,
            checked: slipOutcome === null ? i === 0 : String(o.id) === slipOutcome,
          }),
          `${o.title} `,
          h('span', { class: 'muted num', dataset: { role: 'slip-odds' } }, formatOdds(o.odds)),
        ),
      ),
    );
    const submit = h(
      'button',
      { type: 'submit', class: 'primary', id: 'place-wager' },
      'Place wager',
    );
    const form = h(
      'form',
      { class: 'card betslip', id: 'bet-slip', novalidate: true, 'aria-labelledby': 'slip-title' },
      h('h2', { id: 'slip-title' }, 'Bet slip'),
      error,
      h('fieldset', {}, h('legend', {}, 'Outcome'), choices),
      field(
        'Stake',
        stake,
        `Between ${formatMoney(market.minStake)} and ${formatMoney(market.maxStake)}. Your balance: ${formatMoney(session.balance)}.`,
      ),
      payout,
      h(
        'p',
        { class: 'hint' },
        'Pool betting: odds move as others bet and are fixed when the market locks.',
      ),
      submit,
    );
    const chosen = () =>
      market.outcomes.find(
        (o) => String(o.id) === form.querySelector('input[name=outcome]:checked')?.value,
      );
    const update = () => {
      const o = chosen();
      if (o) slipOutcome = String(o.id);
      const amount = parseMoney(stake.value);
      stake.removeAttribute('aria-invalid');
      if (!o || !stake.value.trim()) {
        payout.textContent = 'Choose an outcome and a stake.';
        return;
      }
      if (amount === null) {
        stake.setAttribute('aria-invalid', 'true');
        payout.textContent = 'Enter an amount like 10 or 12.50.';
        return;
      }
      const odds = Number(o.odds);
      payout.textContent =
        Number.isFinite(odds) && odds > 0
          ? `Potential payout ${formatMoney(Math.floor(amount * odds))} at current odds ${formatOdds(odds)}`
          : `No odds yet on ${o.title}: be the first to back it.`;
    };
    form.addEventListener('input', update);
    form.addEventListener('change', update);
    form.refreshOdds = () => {
      for (const [i, o] of market.outcomes.entries()) {
        const el = choices.querySelectorAll('[data-role=slip-odds]')[i];
        if (el) el.textContent = formatOdds(o.odds);
      }
      update();
    };
    let key = null;
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      error.hidden = true;
      const o = chosen();
      const amount = parseMoney(stake.value);
      if (!o || amount === null || amount <= 0) {
        error.textContent = 'Choose an outcome and enter a stake like 10 or 12.50.';
        error.hidden = false;
        stake.focus();
        return;
      }
      if (amount < market.minStake || amount > market.maxStake) {
        error.textContent = `Stakes on this market are ${formatMoney(market.minStake)} to ${formatMoney(market.maxStake)}.`;
        error.hidden = false;
        stake.focus();
        return;
      }
      // One key per intended wager: a retry after a network error cannot place it twice.
      key = key || crypto.randomUUID();
      submit.disabled = true;
      try {
        await api(`/api/markets/${id}/wagers`, {
          method: 'POST',
          headers: { 'Idempotency-Key': key },
          body: { outcome_id: o.id, stake: amount },
        });
        key = null;
        stake.value = '';
        toast(`Wager placed: ${formatMoney(amount)} on ${o.title}.`);
        await Promise.all([load(), session.refresh()]);
        drawAll();
      } catch (err) {
        if (err.status) key = null;
        error.textContent = describeError(err);
        error.hidden = false;
      } finally {
        submit.disabled = false;
      }
    });
    update();
    return form;
  }

  function settlementView() {
    const s = market.settlement;
    if (!s && !['review', 'resolved', 'disputed', 'canceled'].includes(market.status)) return null;
    const winner = market.outcomes.find((o) => String(o.id) === String(market.winningOutcomeId));
    const frames = evidenceItems(s);
    const evidence = s?.evidence ?? {};
    const section = h(
      'section',
      { class: 'card stack', id: 'settlement', 'aria-labelledby': 'settlement-title' },
      h('h2', { id: 'settlement-title' }, 'Settlement'),
      h(
        'p',
        { id: 'settlement-outcome' },
        h(
          'strong',
          {},
          winner
            ? `Outcome: ${winner.title}`
            : market.status === 'canceled'
              ? 'Canceled: every stake is refunded.'
              : market.status === 'review'
                ? 'In review: the evidence was not decisive enough to pay out on its own.'
                : 'No outcome yet',
        ),
        s?.confidence !== undefined ? ` · confidence ${formatPercent(s.confidence)}` : '',
      ),
      evidence.reason ? h('p', { class: 'muted' }, `Why: ${evidence.reason}.`) : null,
      evidence.model_version
        ? h('p', { class: 'muted' }, `Model: ${evidence.model_version}`)
        : null,
      market.paidAt
        ? h('p', { class: 'ok', id: 'paid-note' }, `Paid out ${formatDate(market.paidAt)}.`)
        : market.disputeUntil
          ? h(
              'p',
              { class: 'muted' },
              `${new Date(market.disputeUntil) > new Date() ? 'Disputes are open until' : 'Dispute window closed'} ${formatDate(market.disputeUntil)}; payouts follow.`,
            )
          : null,
      h('h3', {}, 'Evidence'),
      evidenceGrid(frames, market.analysisId),
    );
    if (
      market.status === 'resolved' &&
      myWagers.length &&
      market.disputeUntil &&
      new Date(market.disputeUntil) > new Date()
    ) {
      section.append(disputeForm());
    }
    return section;
  }

  function disputeForm() {
    const reason = h('textarea', {
      id: 'dispute-reason',
      rows: 3,
      maxlength: 1000,
      required: true,
    });
    const error = h('div', { class: 'alert', role: 'alert', hidden: true });
    const form = h(
      'form',
      { class: 'stack', id: 'dispute-form', novalidate: true },
      h('h3', {}, 'Think the evidence is wrong?'),
      error,
      field(
        'Reason for your dispute',
        reason,
        'An admin will review the evidence before anything is paid.',
      ),
      h('button', { type: 'submit', class: 'danger', id: 'dispute-submit' }, 'Dispute this result'),
    );
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      if (!reason.value.trim()) {
        error.textContent = 'Say what you think the evidence got wrong.';
        error.hidden = false;
        return;
      }
      try {
        await api(`/api/markets/${id}/disputes`, {
          method: 'POST',
          body: { reason: reason.value.trim() },
        });
        toast('Dispute filed. An admin will review it.');
        await load();
        drawAll();
      } catch (err) {
        error.textContent = describeError(err);
        error.hidden = false;
      }
    });
    return form;
  }

  function operatorControls() {
    const act =
      (path, done, body = {}) =>
      async (event) => {
        event.currentTarget.disabled = true;
        try {
          await api(`/api/markets/${id}/${path}`, { method: 'POST', body });
          toast(done);
        } catch (err) {
          toast(describeError(err), 'error');
        }
        await load().catch(() => {});
        drawAll();
      };
    const buttons = [];
    if (market.status === 'open')
      buttons.push(
        h(
          'button',
          {
            type: 'button',
            id: 'lock-market',
            onclick: act('lock', 'Market locked: no more wagers.'),
          },
          'Lock betting',
        ),
      );
    if (market.status === 'locked')
      buttons.push(
        h(
          'button',
          {
            type: 'button',
            class: 'primary',
            id: 'settle-market',
            onclick: act('settle', 'Settled from the evidence.'),
          },
          'Settle from the evidence',
        ),
      );
    if (['open', 'locked', 'review'].includes(market.status)) {
      buttons.push(
        h(
          'button',
          {
            type: 'button',
            class: 'danger',
            id: 'cancel-market',
            onclick: act('cancel', 'Market canceled; stakes refunded.', {
              reason: 'Canceled by the operator',
            }),
          },
          'Cancel and refund',
        ),
      );
    }
    return h(
      'section',
      { class: 'card stack', 'aria-labelledby': 'ops-title' },
      h('h2', { id: 'ops-title' }, 'Operator'),
      market.analysisId
        ? h(
            'p',
            {},
            'Footage: ',
            h('a', { href: `#/analyses/${market.analysisId}` }, 'analysis results'),
          )
        : null,
      buttons.length
        ? h('div', { class: 'row' }, buttons)
        : h('p', { class: 'muted' }, 'Nothing to do on this market.'),
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

  cleanups.push(
    live.on('market.odds', (p) => {
      if (String(marketIdOf(p)) !== String(id)) return;
      const changed = applyOdds(market, p);
      drawHeader();
      drawTiles(changed);
      slipBox.querySelector('form')?.refreshOdds();
    }),
  );
  cleanups.push(
    live.on('market.status', async (p) => {
      if (String(marketIdOf(p)) !== String(id)) return;
      await load();
      drawAll();
    }),
  );
  cleanups.push(
    live.poll(async () => {
      const before = JSON.stringify([market.status, market.outcomes.map((o) => [o.pool, o.odds])]);
      await load();
      const after = JSON.stringify([market.status, market.outcomes.map((o) => [o.pool, o.odds])]);
      if (before !== after && !slipBox.contains(document.activeElement)) drawAll();
      else if (before !== after) {
        drawHeader();
        drawTiles();
        slipBox.querySelector('form')?.refreshOdds();
      }
    }),
  );
  return () => cleanups.forEach((fn) => fn());
}

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
          const outcome = m?.outcomes.find((o) => String(o.id) === String(w.outcome_id));
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
