// format.js: money in integer minor units, confidences 0-100, times in milliseconds.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import {
  formatBytes,
  formatDate,
  formatMoney,
  formatMs,
  formatClock,
  formatCountdown,
  formatOdds,
  formatPercent,
  parseMoney,
} from '../../src/streambet/web/js/format.js';

describe('formatMoney', () => {
  it('shows minor units as credits with two decimals and grouping', () => {
    assert.equal(formatMoney(0), '0.00 cr');
    assert.equal(formatMoney(1250), '12.50 cr');
    assert.equal(formatMoney(123456789), '1,234,567.89 cr');
    assert.equal(formatMoney(-5), '-0.05 cr');
    assert.equal(formatMoney('700'), '7.00 cr');
  });

  it('shows a dash for no amount', () => {
    for (const v of [undefined, null, 'abc', NaN]) assert.equal(formatMoney(v), '—');
  });
});

describe('parseMoney', () => {
  it('reads what a person types into minor units', () => {
    assert.equal(parseMoney('10'), 1000);
    assert.equal(parseMoney('12.5'), 1250);
    assert.equal(parseMoney(' 12.50 '), 1250);
    assert.equal(parseMoney('1,234.05'), 123405);
    assert.equal(parseMoney('0.01'), 1);
    assert.equal(parseMoney(7), 700);
  });

  it('refuses what is not an amount', () => {
    for (const v of ['', '-1', '1.234', '1e3', 'ten', '.5', '1.', '12 50']) {
      assert.equal(parseMoney(v), null, v);
    }
  });
});

describe('formatOdds', () => {
  it('shows decimal odds with a multiplication sign', () => {
    assert.equal(formatOdds(1.9), '1.90×');
    assert.equal(formatOdds('3.456'), '3.46×');
  });

  it('shows a dash for missing, zero or negative odds', () => {
    for (const v of [undefined, null, 0, -1, 'x', Infinity]) assert.equal(formatOdds(v), '—');
  });
});

describe('formatPercent', () => {
  it('rounds to a whole percent', () => {
    assert.equal(formatPercent(79.5), '80%');
    assert.equal(formatPercent(0), '0%');
    assert.equal(formatPercent('92.4'), '92%');
    assert.equal(formatPercent(null), '—');
    assert.equal(formatPercent(undefined), '—');
  });
});

describe('formatMs', () => {
  it('shows minutes, seconds and tenths', () => {
    assert.equal(formatMs(0), '0:00.0');
    assert.equal(formatMs(2050), '0:02.0');
    assert.equal(formatMs(61999), '1:01.9');
    assert.equal(formatMs(600000), '10:00.0');
  });

  it('treats bad and negative times as zero', () => {
    assert.equal(formatMs(-500), '0:00.0');
    assert.equal(formatMs('abc'), '0:00.0');
    assert.equal(formatMs(undefined), '0:00.0');
  });
});

describe('formatBytes', () => {
  it('picks the largest unit below 1024, one decimal past bytes', () => {
    assert.equal(formatBytes(0), '0 B');
    assert.equal(formatBytes(1023), '1023 B');
    assert.equal(formatBytes(1024), '1.0 KB');
    assert.equal(formatBytes(1536), '1.5 KB');
    assert.equal(formatBytes(100 * 1024 * 1024), '100.0 MB');
    assert.equal(formatBytes(5 * 1024 ** 4), '5120.0 GB');
  });
});

describe('formatDate', () => {
  it('shows a dash for nothing and the raw text for what is not a date', () => {
    assert.equal(formatDate(null), '—');
    assert.equal(formatDate(''), '—');
    assert.equal(formatDate('soon'), 'soon');
  });

  it('shows ISO strings and epoch milliseconds in the local format', () => {
    const when = new Date('2024-05-06T07:08:09Z');
    assert.equal(formatDate('2024-05-06T07:08:09Z'), when.toLocaleString());
    assert.equal(formatDate(when.getTime()), when.toLocaleString());
  });
});

describe('formatClock', () => {
  it('reads moments in footage as m:ss, rounded down', () => {
    assert.equal(formatClock(3999), '0:03');
    assert.equal(formatClock(754000), '12:34');
    assert.equal(formatClock(-5), '0:00');
  });
});

describe('formatCountdown', () => {
  it('counts down in the two largest units, and ends', () => {
    const now = 1_000_000;
    assert.equal(formatCountdown(now + 5_000, now), '5 s');
    assert.equal(formatCountdown(now + 245_000, now), '4 min 05 s');
    assert.equal(formatCountdown(now + 7_800_000, now), '2 h 10 min');
    assert.equal(formatCountdown(now + 90_000_000, now), '1 d 1 h');
    assert.equal(formatCountdown(now, now), null);
    assert.equal(formatCountdown(undefined, now), null);
  });
});
