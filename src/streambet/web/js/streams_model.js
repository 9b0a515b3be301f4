// Live stream pages without the DOM: label events -> the ticker's lines and the timeline's
// bars over a window of stream time. Events come newest first from the API and in
// batches (oldest first) from the WebSocket; both land in one list kept newest first.

export const TICKER_MAX = 100;

/** Adds `incoming` events to `events` (newest first), dropping duplicates by id. */
export function mergeEvents(events, incoming, max = TICKER_MAX) {
  const seen = new Set(events.map((e) => e.id));
  const fresh = incoming.filter((e) => e && !seen.has(e.id));
  return [...fresh, ...events].sort((a, b) => b.id - a.id).slice(0, max);
}

/**
 * Bars per label inside [from, until) of stream time: a start opens a bar, its end closes
 * it; an open bar runs to `until`. Returns [{label, bars: [{left, width}]}] with left and
 * width as fractions of the window, labels by their latest sighting.
 */
export function timelineBars(events, from, until) {
  const span = Math.max(1, until - from);
  const open = new Map();
  const bars = new Map();
  const add = (label, start, end) => {
    const a = Math.max(start, from);
    const b = Math.min(end, until);
    if (b <= a && !(start >= from && start < until)) return;
    const list = bars.get(label) || [];
    list.push({ left: (a - from) / span, width: Math.max(0.004, (b - a) / span) });
    bars.set(label, list);
  };
  const ordered = [...events].sort((a, b) => a.id - b.id);
  for (const e of ordered) {
    if (e.source === 'speech') continue;
    if (e.kind === 'start') open.set(e.label, e.stream_ms);
    else if (e.kind === 'end') {
      add(e.label, open.has(e.label) ? open.get(e.label) : e.stream_ms, e.stream_ms);
      open.delete(e.label);
    }
  }
  for (const [label, start] of open) add(label, start, until);
  const latest = new Map(ordered.map((e) => [e.label, e.id]));
  return [...bars.entries()]
    .sort((a, b) => latest.get(b[0]) - latest.get(a[0]))
    .map(([label, list]) => ({ label, bars: list }));
}

/** One ticker line: "12:04:05 Cat started 91%". */
export function tickerText(event, timeZone) {
  const time = new Date(event.stream_ms).toLocaleTimeString('en-GB', { timeZone });
  const what =
    event.source === 'speech'
      ? `said “${event.text || ''}”`
      : { start: 'started', update: 'seen better', end: 'ended' }[event.kind] || event.kind;
  return `${time} ${event.source === 'speech' ? '' : `${event.label} `}${what} ${Math.round(event.confidence)}%`;
}

/** "live", "1.2 s behind", or "—". */
export function lagText(lagMs) {
  if (lagMs === null || lagMs === undefined) return '—';
  return lagMs < 1000 ? `${lagMs} ms behind live` : `${(lagMs / 1000).toFixed(1)} s behind live`;
}
