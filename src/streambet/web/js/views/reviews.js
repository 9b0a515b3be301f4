// The admin's review queue: markets the evidence could not settle and disputed results,
// the evidence beside the complaint, and uphold / overturn / void.

import { api, describeError, listOf } from '../api.js';
import { clipUrl } from '../clips.js';
import { field, h, replace, statusPill, toast } from '../dom.js';
import { evidenceGrid, evidenceItems } from '../evidence.js';
import { formatMoney, formatPercent } from '../format.js';
import { live } from '../live.js';
import { normaliseMarket } from '../markets_model.js';

export async function renderReviews(main) {
  const list = h('div', { id: 'review-queue', class: 'stack' }, h('p', { class: 'muted' }, 'Loading…'));
  main.append(h('h1', {}, 'Review queue'), h('p', { class: 'muted' }, 'Markets the evidence could not settle on its own, and results bettors dispute.'), list);

  const load = async () => {
    const items = listOf(await api('/api/admin/reviews'), 'reviews', 'markets');
    replace(list, items.length ? items.map(reviewCard) : h('p', { class: 'card' }, 'Nothing to review.'));
  };

  function reviewCard(item) {
    const market = normaliseMarket(item.market ?? item);
    const disputes = item.disputes ?? item.market?.disputes ?? [];
    const settlement = item.settlement ?? market.settlement;
    const verdicts = (settlement?.evidence ?? settlement ?? {}).outcomes || [];
    const outcome = h('select', { id: `overturn-${market.id}` }, market.outcomes.map((o) => h('option', { value: o.id }, o.title)));
    const note = h('input', { type: 'text', id: `note-${market.id}`, maxlength: 500 });
    const act = (action) => async () => {
      const body = { action, note: note.value.trim() || undefined };
      if (action === 'overturn' || (action === 'uphold' && market.status === 'review')) body.outcome_id = Number.isNaN(Number(outcome.value)) ? outcome.value : Number(outcome.value);
      try {
        await api(`/api/admin/reviews/${market.id}`, { method: 'POST', body });
        toast(`Market ${action === 'void' ? 'voided' : action === 'uphold' ? 'upheld' : 'overturned'}.`);
        await load();
      } catch (err) {
        toast(describeError(err), 'error');
      }
    };
    return h('article', { class: 'card stack', id: `review-${market.id}`, 'aria-labelledby': `review-title-${market.id}` },
      h('div', { class: 'row spread' }, h('h2', { id: `review-title-${market.id}` }, h('a', { href: `#/markets/${market.id}` }, market.question)), statusPill(market.status)),
      h('p', { class: 'muted num' }, `Pool ${formatMoney(market.pool)}`),
      h('div', { class: 'side-by-side' },
        h('section', { class: 'stack', 'aria-label': 'Machine evidence' },
          h('h3', {}, 'What the engine saw'),
          settlement?.confidence !== undefined ? h('p', {}, `Confidence ${formatPercent(settlement.confidence)}`) : null,
          (settlement?.evidence ?? settlement)?.reason ? h('p', { class: 'muted' }, `Why: ${(settlement.evidence ?? settlement).reason}.`) : null,
          h('ul', {}, verdicts.map((v) => {
            const o = market.outcomes.find((x) => String(x.id) === String(v.outcome_id));
            return h('li', {}, `${o?.title ?? v.outcome_id}: ${String(v.verdict).replace('_', ' ')} at ${formatPercent(v.confidence)}${v.window_fully_analysed === false ? ' (window only partly analysed)' : ''}`);
          })),
          evidenceGrid(evidenceItems(settlement), market.raw.video_url || (market.analysisId ? clipUrl(market.analysisId) : null), { limit: 4 })),
        h('section', { class: 'stack', 'aria-label': 'Disputes and decision' },
          h('h3', {}, disputes.length ? 'Disputes' : 'Decision needed'),
          disputes.length
            ? h('ul', {}, disputes.map((d) => h('li', {}, h('q', {}, d.reason), d.user_display_name || d.email ? h('span', { class: 'muted' }, ` — ${d.user_display_name || d.email}`) : null)))
            : h('p', { class: 'muted' }, 'The evidence fell between the review floor and the auto-settle confidence.'),
          field('Outcome to settle on', outcome),
          field('Note (optional)', note),
          h('div', { class: 'row' },
            h('button', { type: 'button', class: 'primary', onclick: act('uphold') }, market.status === 'review' ? 'Settle on this outcome' : 'Uphold result'),
            market.status === 'disputed' ? h('button', { type: 'button', onclick: act('overturn') }, 'Overturn to this outcome') : null,
            h('button', { type: 'button', class: 'danger', onclick: act('void') }, 'Void and refund')))));
  }

  const stop = [live.on('market.status', () => load().catch(() => {})), live.poll(load)];
  try {
    await load();
  } catch (err) {
    replace(list, h('p', { class: 'alert', role: 'alert' }, describeError(err)));
  }
  return () => stop.forEach((fn) => fn());
}
