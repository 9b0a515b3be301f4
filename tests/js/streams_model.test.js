// streams_model.js: the live page's ticker and timeline from label events.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import {
  lagText,
  mergeEvents,
  tickerText,
  timelineBars,
} from '../../src/streambet/web/js/streams_model.js';

const ev = (id, kind, label, ms, extra = {}) => ({
  id,
  kind,
  label,
  source: 'picture',
  stream_ms: ms,
  confidence: 90,
  ...extra,
});

describe('mergeEvents', () => {
  it('keeps the newest first, once each, up to the maximum', () => {
    const merged = mergeEvents(
      [ev(2, 'start', 'Cat', 20)],
      [ev(1, 'start', 'Dog', 10), ev(2, 'start', 'Cat', 20), ev(3, 'end', 'Cat', 30)],
    );
    assert.deepEqual(
      merged.map((e) => e.id),
      [3, 2, 1],
    );
    assert.equal(mergeEvents([], [ev(1, 'start', 'A', 1), ev(2, 'start', 'B', 2)], 1).length, 1);
  });
});

describe('timelineBars', () => {
  it('draws closed and open bars inside the window, latest label first', () => {
    const events = [
      ev(1, 'start', 'Cat', 1000),
      ev(2, 'end', 'Cat', 3000),
      ev(3, 'start', 'Dog', 5000),
    ];
    const rows = timelineBars(events, 0, 10000);
    assert.deepEqual(
      rows.map((r) => r.label),
      ['Dog', 'Cat'],
    );
    assert.deepEqual(rows[1].bars, [{ left: 0.1, width: 0.2 }]);
    assert.deepEqual(rows[0].bars, [{ left: 0.5, width: 0.5 }]);
  });

  it('clips bars that began before the window and skips those wholly before it', () => {
    const events = [
      ev(1, 'start', 'Cat', 0),
      ev(2, 'end', 'Cat', 2000),
      ev(3, 'start', 'Dog', 500),
      ev(4, 'end', 'Dog', 6000),
    ];
    const rows = timelineBars(events, 4000, 8000);
    assert.deepEqual(
      rows.map((r) => r.label),
      ['Dog'],
    );
    assert.deepEqual(rows[0].bars, [{ left: 0, width: 0.5 }]);
  });
});

describe('texts', () => {
  it('tells events and lag in words', () => {
    assert.equal(
      tickerText(ev(1, 'start', 'Cat', Date.UTC(2026, 0, 1, 12, 4, 5)), 'UTC'),
      '12:04:05 Cat started 90%',
    );
    const said = { ...ev(2, 'start', 'Speech', 0), source: 'speech', text: 'goal' };
    assert.equal(tickerText(said, 'UTC'), '00:00:00 said “goal” 90%');
    assert.equal(lagText(null), '—');
    assert.equal(lagText(420), '420 ms behind live');
    assert.equal(lagText(1500), '1.5 s behind live');
  });
});
