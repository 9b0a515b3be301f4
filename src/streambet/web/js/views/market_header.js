// A market's header and its odds: the question, status and pool; what tells it apart (its
// number, creator, creation and closing times, a thumbnail of its footage once betting
// has closed) and its settlement rule in plain words; and one tile per outcome with its
// odds, stake and share of the pool (also the cards of the markets list).

import { api } from '../api.js';
import { h, statusPill } from '../dom.js';
import { formatCountdown, formatDate, formatMoney, formatOdds } from '../format.js';
import { isWinner, outcomeShare, settlementRules, STATUS_TEXT } from '../markets_model.js';
import { session } from '../session.js';

/** The question, the status in words, the pool and the takeout, then the market's context. */
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
    h(
      'div',
      { class: 'market-context' },
      footageThumb(market),
      h(
        'div',
        { class: 'stack' },
        marketMeta(market, 'market-meta'),
        closingLine(market),
        h(
          'ul',
          { class: 'rules', id: 'market-rules', 'aria-label': 'How it settles' },
          settlementRules(market).map((r) => h('li', {}, r.text)),
        ),
      ),
    ),
  ];
}

/** "Market #12 · by Olivia · opened 3 Dec, 12:00": what tells two equal questions apart. */
export function marketMeta(market, id = null) {
  return h(
    'p',
    { class: 'muted meta', id },
    `Market #${market.id}`,
    market.creator ? ` · by ${market.creator}` : '',
    market.createdAt ? ` · opened ${formatDate(market.createdAt)}` : '',
  );
}

/** When betting closes, counting down while it is open. */
export function closingLine(market) {
  if (market.status !== 'open') return null;
  if (!market.closesAt) {
    return h('p', { class: 'muted', id: 'market-closes' }, 'Closes when its operator locks it.');
  }
  return h(
    'p',
    { id: 'market-closes' },
    'Betting closes in ',
    h(
      'strong',
      {
        class: 'num',
        dataset: { countdownUntil: market.closesAt, countdownDone: 'a moment' },
      },
      formatCountdown(market.closesAt) ?? 'a moment',
    ),
    ` (${formatDate(market.closesAt)}).`,
  );
}

/**
 * The footage's first stored frame, once the market is decided (its evidence is public
 * then); before that the footage is sealed, and the box says so: nobody sees it before
 * betting closes.
 */
export function footageThumb(market) {
  const box = h('div', { class: 'thumb', id: `thumb-${market.id}` });
  const decided = Boolean(market.settlement || market.engineSettlement);
  if (!market.analysisId) {
    box.append(h('span', { class: 'muted' }, 'No footage: settled by a reviewer.'));
  } else if (!decided || !session.loggedIn) {
    box.append(
      h(
        'span',
        { class: 'muted' },
        decided ? 'Log in to see the footage.' : 'Footage sealed until betting closes.',
      ),
    );
  } else {
    box.append(h('span', { class: 'muted' }, 'Loading the footage…'));
    loadThumb(market.analysisId, box);
  }
  return box;
}

async function loadThumb(analysisId, box) {
  const base = `/api/analyses/${encodeURIComponent(analysisId)}/frames`;
  try {
    const { frames } = await api(base);
    if (!frames.length) {
      box.replaceChildren(h('span', { class: 'muted' }, 'No stored pictures of this footage.'));
      return;
    }
    const response = await api(`${base}/${frames[0]}`, { raw: true });
    const url = URL.createObjectURL(await response.blob());
    const img = h('img', { src: url, alt: 'The footage, its first stored frame' });
    img.addEventListener('load', () => URL.revokeObjectURL(url), { once: true });
    box.replaceChildren(img);
  } catch {
    box.replaceChildren(h('span', { class: 'muted' }, 'The footage is not available.'));
  }
}

const SETTLED = new Set(['resolved', 'disputed', 'canceled']);

/** The odds cell: current pari-mutuel odds while betting is possible; none on an empty
 * pool (they would be invented); once decided, what happened instead of rounded odds,
 * which could contradict the exact amounts paid. */
function oddsText(market, o) {
  if (market.status === 'canceled') return 'refunded';
  if (SETTLED.has(market.status) && market.winningOutcomeId !== null) {
    return isWinner(market, o) ? 'won' : 'lost';
  }
  if (!market.pool) return 'no bets yet';
  return formatOdds(o.odds);
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
        h('div', { class: 'odds', dataset: { role: 'odds' } }, oddsText(market, o)),
        h('div', { class: 'pool num', dataset: { role: 'pool' } }, `${formatMoney(o.pool)} staked`),
        h(
          'div',
          { class: 'muted num', dataset: { role: 'split' } },
          market.pool ? `${outcomeShare(market, o)}% of the pool` : null,
        ),
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
