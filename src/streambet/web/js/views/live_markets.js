// Live markets (#/live, #/live/{stream}): a stream's open and upcoming markets with a
// countdown to lock, the bet slip (in-play markets with their bet delay notice), and
// settlement appearing seconds after the detection, with its evidence frame, all without
// a reload (market.status, market.odds and wager.held over the WebSocket, polled while it
// is down). Operators of the stream also get the recurring template form.

import { api, describeError, listOf } from '../api.js';
import { field, h, replace, statusPill, toast } from '../dom.js';
import { formatMoney, formatOdds, formatPercent } from '../format.js';
import { live } from '../live.js';
import {
  bestFrame,
  clockText,
  delayNotice,
  estimateText,
  heldText,
  phase,
} from '../live_markets_model.js';
import { normaliseMarket, settlementHeadline } from '../markets_model.js';
import { session } from '../session.js';
import { betSlip } from './bet_slip.js';

const TAKES_WAGERS = new Set(['betting', 'in-play']);

export async function renderLiveMarkets(main, streamId) {
  const sid = streamId ? Number(streamId) : null;
  const list = h(
    'div',
    { id: 'live-markets', class: 'stack' },
    h('p', { class: 'muted' }, 'Loading…'),
  );
  const slipBox = h('div', { id: 'live-slip' });
  main.append(
    h('h1', {}, sid ? `Live markets on stream ${sid}` : 'Live markets'),
    h(
      'p',
      { class: 'muted' },
      'Bet on the next minutes of a live stream; the engine settles each market from what it' +
        ' sees, seconds after it sees it.',
    ),
    h('div', { class: 'live-grid' }, list, slipBox),
  );
  if (sid && session.can('operator')) main.append(templateForm(sid));

  let items = [];
  let chosen = null; // the market id the slip is for
  let slip = null;
  const frames = new Map(); // market id -> object URL of its evidence frame
  const phases = new Map();

  const showSlip = () => {
    const item = items.find((i) => i.market.id === chosen);
    if (!item || !TAKES_WAGERS.has(phase(item, Date.now())) || session.can('operator')) {
      replace(slipBox);
      slip = null;
      return;
    }
    const market = normaliseMarket(item.market);
    if (slip && slip.dataset.market === String(chosen)) {
      slip.refreshOdds(market);
      return;
    }
    slip = betSlip({
      market,
      balance: session.balance,
      selected: null,
      onSelect: () => {},
      onPlaced: async () => {
        await Promise.all([load(), session.refresh()]);
      },
      held: item.live.in_play ? { notice: delayNotice(item.live) } : null,
    });
    slip.dataset.market = String(chosen);
    replace(slipBox, h('h2', {}, item.market.question), slip);
  };

  const loadFrame = async (item, img) => {
    const best = bestFrame(item);
    if (!best) return;
    const id = item.market.id;
    if (!frames.has(id)) {
      try {
        const response = await api(`/api/markets/${id}/live/frames/${best.offsetMs}`, {
          raw: true,
        });
        frames.set(id, URL.createObjectURL(await response.blob()));
      } catch {
        return; // gone with retention: the times and boxes are still in the settlement
      }
    }
    img.src = frames.get(id);
    img.hidden = false;
  };

  const card = (item) => {
    const { market, live: lv } = item;
    const now = Date.now();
    const p = phase(item, now);
    const m = normaliseMarket(market);
    const estimate = estimateText(lv);
    const el = h(
      'article',
      { class: 'card live-market', id: `live-market-${market.id}`, dataset: { phase: p } },
      h('div', { class: 'row spread' }, h('h2', {}, market.question), statusPill(market.status)),
      h('p', { class: 'live-clock', dataset: { role: 'clock' } }, clockText(item, now)),
      h(
        'p',
        { class: 'muted' },
        m.outcomes
          .map((o) => `${o.title} ${formatOdds(o.odds)} (${formatMoney(o.pool)})`)
          .join(' · '),
        ` · pool ${formatMoney(m.pool)}`,
      ),
      estimate ? h('p', { class: 'hint' }, estimate) : null,
      lv.in_play && p !== 'settled' ? h('p', { class: 'hint' }, delayNotice(lv)) : null,
    );
    if (TAKES_WAGERS.has(p) && session.can('bettor') && !session.can('operator')) {
      el.append(
        h(
          'button',
          {
            type: 'button',
            class: 'primary',
            dataset: { role: 'bet' },
            onclick: () => {
              chosen = market.id;
              slip = null;
              showSlip();
            },
          },
          'Bet on this',
        ),
      );
    }
    if (p === 'settled' || p === 'review') {
      const s = market.settlement || {};
      const img = h('img', {
        class: 'live-evidence',
        alt: 'The evidence frame that decided it, with its box',
        hidden: true,
      });
      el.append(
        h(
          'p',
          { class: 'live-outcome' },
          h('strong', {}, settlementHeadline(m)),
          s.confidence !== undefined && s.confidence !== null
            ? ` · confidence ${formatPercent(s.confidence)}`
            : '',
          market.paid_at_ms ? ' · paid' : '',
        ),
        s.reason ? h('p', { class: 'muted' }, `Why: ${s.reason}.`) : null,
        img,
      );
      loadFrame(item, img);
    }
    if (lv.in_play) el.append(h('ul', { class: 'plain muted', dataset: { role: 'held' } }));
    return el;
  };

  const showHeld = async () => {
    if (!session.can('bettor') || session.can('operator')) return;
    for (const item of items.filter((i) => i.live.in_play)) {
      const box = list.querySelector(`#live-market-${item.market.id} [data-role=held]`);
      if (!box) continue;
      try {
        const held = listOf(await api(`/api/markets/${item.market.id}/held-wagers`));
        replace(
          box,
          held.map((w) => h('li', {}, `${formatMoney(w.stake)}: ${heldText(w)}`)),
        );
      } catch {
        // shown on the next refresh
      }
    }
  };

  const render = () => {
    replace(
      list,
      items.length ? items.map(card) : h('p', { class: 'muted' }, 'No live markets right now.'),
    );
    for (const item of items) phases.set(item.market.id, phase(item, Date.now()));
    showSlip();
    showHeld();
  };

  const load = async () => {
    try {
      const data = await api(sid ? `/api/streams/${sid}/markets` : '/api/live-markets');
      items = listOf(data);
      render();
    } catch (err) {
      replace(list, h('p', { class: 'error' }, describeError(err)));
    }
  };

  const tick = () => {
    const now = Date.now();
    let moved = false;
    for (const item of items) {
      const el = list.querySelector(`#live-market-${item.market.id} [data-role=clock]`);
      if (el) el.textContent = clockText(item, now);
      if (phases.get(item.market.id) !== phase(item, now)) moved = true;
    }
    if (moved) load();
  };

  await load();
  // Many events may come at once: one reload for a burst of them.
  let pending = null;
  const reloadSoon = () => {
    pending =
      pending ||
      setTimeout(() => {
        pending = null;
        load();
      }, 300);
  };
  const mine = (p) => items.some((i) => i.market.id === p.market_id);
  const offs = [
    live.on('market.status', (p) => {
      reloadSoon(); // a new market (a template's next period) is news too
      if (mine(p)) session.refresh();
    }),
    live.on('market.odds', (p) => mine(p) && reloadSoon()),
    live.on('wager.held', (p) => {
      if (!mine(p)) return;
      toast(`In-play wager ${heldText(p)}.`, p.status === 'refused' ? 'error' : 'info');
      load();
      session.refresh();
    }),
    live.poll(load),
  ];
  const timer = setInterval(tick, 1000);
  return () => {
    clearInterval(timer);
    clearTimeout(pending);
    for (const off of offs) off();
    for (const url of frames.values()) URL.revokeObjectURL(url);
  };
}

function templateForm(streamId) {
  const question = h('input', {
    id: 'template-question',
    required: true,
    maxlength: 200,
    value: 'Will a person appear in the next minute?',
  });
  const label = h('input', { id: 'template-label', required: true, value: 'Person' });
  const every = h('input', { id: 'template-every', type: 'number', min: 1, value: 2 });
  const windowMinutes = h('input', {
    id: 'template-window',
    type: 'number',
    min: 0.5,
    step: 0.5,
    value: 1,
  });
  const lead = h('input', { id: 'template-lead', type: 'number', min: 5, value: 30 });
  const gapRule = h(
    'select',
    { id: 'template-gap-rule' },
    h('option', { value: 'review' }, 'a person reviews it'),
    h('option', { value: 'void' }, 'void it (refund every stake)'),
  );
  const error = h('p', { class: 'error', role: 'alert' });
  const templates = h('ul', { class: 'plain muted', id: 'template-list' });
  const showTemplates = async () => {
    try {
      const items = listOf(await api(`/api/streams/${streamId}/templates`));
      replace(
        templates,
        items.map((t) =>
          h(
            'li',
            {},
            `${t.question} (${t.label}, every ${t.every_ms / 60_000} min) `,
            t.active
              ? h(
                  'button',
                  {
                    type: 'button',
                    onclick: async () => {
                      await api(`/api/templates/${t.id}/stop`, { method: 'POST' });
                      showTemplates();
                    },
                  },
                  'Stop',
                )
              : 'stopped',
          ),
        ),
      );
    } catch (err) {
      replace(templates, h('li', { class: 'error' }, describeError(err)));
    }
  };
  const form = h(
    'form',
    {
      class: 'card',
      id: 'template-form',
      onsubmit: async (event) => {
        event.preventDefault();
        error.textContent = '';
        try {
          await api(`/api/streams/${streamId}/templates`, {
            method: 'POST',
            body: {
              question: question.value,
              label: label.value,
              every_minutes: Number(every.value),
              window_minutes: Number(windowMinutes.value),
              lead_seconds: Number(lead.value),
              gap_rule: gapRule.value,
            },
          });
          toast('Template saved: its first market opens within a second.');
          showTemplates();
        } catch (err) {
          error.textContent = describeError(err);
        }
      },
    },
    h('h2', {}, 'Recurring market'),
    field('Question', question),
    field('Label', label, 'What the engine must see, at 80% confidence or more'),
    field('Every (minutes)', every),
    field('Window (minutes)', windowMinutes),
    field('Betting opens (seconds before the window)', lead),
    field('If the engine could not watch the whole window', gapRule),
    h('button', { type: 'submit', class: 'primary' }, 'Open recurring markets'),
    error,
    templates,
  );
  showTemplates();
  return form;
}
