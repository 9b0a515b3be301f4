// Formatting: money arrives in integer minor units, confidences 0-100, times in milliseconds.

const money = new Intl.NumberFormat('en-US', {
  minimumFractionDigits: 2,
  maximumFractionDigits: 2,
});

export function formatMoney(minor) {
  if (minor === undefined || minor === null || Number.isNaN(Number(minor))) return '—';
  return `${money.format(Number(minor) / 100)} cr`;
}

/** "12.50" typed by a person -> 1250 minor units, or null when it is not an amount. */
export function parseMoney(text) {
  const clean = String(text).trim().replace(/,/g, '');
  if (!/^\d+(\.\d{1,2})?$/.test(clean)) return null;
  const [whole, frac = ''] = clean.split('.');
  return Number(whole) * 100 + Number(frac.padEnd(2, '0'));
}

export function formatOdds(odds) {
  if (odds === undefined || odds === null || !Number.isFinite(Number(odds)) || Number(odds) <= 0) {
    return '—';
  }
  return `${Number(odds).toFixed(2)}×`;
}

export function formatPercent(value) {
  if (value === undefined || value === null) return '—';
  return `${Math.round(Number(value))}%`;
}

export function formatMs(ms) {
  const total = Math.max(0, Math.round(Number(ms) || 0));
  const minutes = Math.floor(total / 60000);
  const seconds = Math.floor((total % 60000) / 1000);
  const tenths = Math.floor((total % 1000) / 100);
  return `${minutes}:${String(seconds).padStart(2, '0')}.${tenths}`;
}

export function formatBytes(bytes) {
  const units = ['B', 'KB', 'MB', 'GB'];
  let value = Number(bytes) || 0;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${value.toFixed(unit === 0 ? 0 : 1)} ${units[unit]}`;
}

export function formatDate(value) {
  if (!value) return '—';
  const date = typeof value === 'number' ? new Date(value) : new Date(String(value));
  return Number.isNaN(date.getTime()) ? String(value) : date.toLocaleString();
}

/** A moment in footage as people read it: 3000 -> "0:03", 754000 -> "12:34". */
export function formatClock(ms) {
  const total = Math.max(0, Math.floor((Number(ms) || 0) / 1000));
  return `${Math.floor(total / 60)}:${String(total % 60).padStart(2, '0')}`;
}

/** Time left until `until` (ms since the epoch): "4 min 05 s", "2 h 10 min", or null when
 * it has passed. */
export function formatCountdown(until, now = Date.now()) {
  const left = Math.floor((Number(until) - now) / 1000);
  if (!Number.isFinite(left) || left <= 0) return null;
  const d = Math.floor(left / 86400);
  const hours = Math.floor((left % 86400) / 3600);
  const m = Math.floor((left % 3600) / 60);
  const sec = left % 60;
  if (d) return `${d} d ${hours} h`;
  if (hours) return `${hours} h ${String(m).padStart(2, '0')} min`;
  if (m) return `${m} min ${String(sec).padStart(2, '0')} s`;
  return `${sec} s`;
}
