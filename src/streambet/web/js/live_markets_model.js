// Live markets on the live page: where a market stands against the clock, its countdown,
// the house's estimate and the fate of an in-play wager. Pure: no DOM.

import { formatPercent } from './format.js';

/** mm:ss (or h:mm:ss) until `targetMs`, never negative. */
export function countdown(targetMs, nowMs) {
  const left = Math.max(0, Math.ceil((targetMs - nowMs) / 1000));
  const s = left % 60;
  const m = Math.floor(left / 60) % 60;
  const hours = Math.floor(left / 3600);
  const pad = (n) => String(n).padStart(2, '0');
  return hours ? `${hours}:${pad(m)}:${pad(s)}` : `${m}:${pad(s)}`;
}

/**
 * Where a live market stands: 'betting' (takes wagers before its window), 'in-play' (takes
 * held wagers while the window runs), 'watching' (betting closed, the window not decided),
 * 'review', 'settled' (resolved, disputed or void).
 */
export function phase(item, nowMs) {
  const { market, live } = item;
  if (market.status === 'review') return 'review';
  if (['resolved', 'disputed', 'canceled'].includes(market.status)) return 'settled';
  const closes = market.closes_at_ms ?? live.window_from_ms;
  if (market.status === 'open' && nowMs < closes) {
    return live.in_play && nowMs >= live.window_from_ms ? 'in-play' : 'betting';
  }
  return 'watching';
}

/** The line under a market saying what happens next, with its countdown. */
export function clockText(item, nowMs) {
  const { market, live } = item;
  switch (phase(item, nowMs)) {
    case 'betting':
      return live.in_play && nowMs < live.window_from_ms
        ? `Window opens in ${countdown(live.window_from_ms, nowMs)}`
        : `Betting closes in ${countdown(market.closes_at_ms ?? live.window_from_ms, nowMs)}`;
    case 'in-play':
      return `In play · window ends in ${countdown(live.window_until_ms, nowMs)}`;
    case 'watching':
      return nowMs < live.window_from_ms
        ? `Betting closed · window opens in ${countdown(live.window_from_ms, nowMs)}`
        : nowMs < live.window_until_ms
          ? `Watching · window ends in ${countdown(live.window_until_ms, nowMs)}`
          : 'Window over · settling from the evidence';
    case 'review':
      return 'In review: a person decides';
    default:
      return market.status === 'canceled' ? 'Void: every stake refunded' : 'Settled';
  }
}

/** The bet delay notice of an in-play market. */
export function delayNotice(live) {
  const seconds = (live.bet_delay_ms / 1000).toFixed(live.bet_delay_ms % 1000 ? 1 : 0);
  return (
    `In play: a wager counts only after a ${seconds} s bet delay. If the engine sees what` +
    ' this market is about within that delay of it, the wager is refused and its stake returned.'
  );
}

/** The house's estimate of YES, as a share and as the odds it implies, with its basis. */
export function estimateText(live) {
  if (live.estimate === null || live.estimate === undefined) return null;
  const p = Number(live.estimate);
  const odds = (x) => (1 / x).toFixed(2);
  return (
    `House estimate: ${formatPercent(p * 100)} YES (fair odds ${odds(p)} YES / ${odds(1 - p)} NO)` +
    `, from ${live.estimate_basis}.`
  );
}

/** What became of an in-play wager, for its bettor. */
export function heldText(held) {
  if (held.status === 'accepted') return 'accepted after the bet delay';
  if (held.status === 'refused') return `refused and refunded: ${held.reason}`;
  return 'waiting out the bet delay';
}

/** The evidence frame to show once settled: the most confident one, with its offset. */
export function bestFrame(item) {
  const frames = item.live.evidence_frames || [];
  if (!frames.length) return null;
  const f = frames[0];
  return { ...f, offsetMs: f.stream_ms - item.live.window_from_ms };
}
