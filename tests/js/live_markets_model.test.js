// live_markets_model.js: the clock of a live market, its notices and its evidence frame.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import {
  bestFrame,
  clockText,
  countdown,
  delayNotice,
  estimateText,
  heldText,
  phase,
} from '../../src/streambet/web/js/live_markets_model.js';

const item = (market = {}, live = {}) => ({
  market: { status: 'open', closes_at_ms: 10_000, ...market },
  live: {
    window_from_ms: 10_000,
    window_until_ms: 70_000,
    in_play: false,
    bet_delay_ms: 0,
    evidence_frames: [],
    ...live,
  },
});

describe('countdown', () => {
  it('counts whole seconds down, never below zero', () => {
    assert.equal(countdown(65_000, 0), '1:05');
    assert.equal(countdown(1_001, 0), '0:02');
    assert.equal(countdown(0, 5_000), '0:00');
    assert.equal(countdown(3_725_000, 0), '1:02:05');
  });
});

describe('phase and clock', () => {
  it('takes wagers until its window opens, then watches', () => {
    assert.equal(phase(item(), 0), 'betting');
    assert.equal(clockText(item(), 0), 'Betting closes in 0:10');
    assert.equal(phase(item({ status: 'locked' }), 20_000), 'watching');
    assert.equal(clockText(item({ status: 'locked' }), 20_000), 'Watching · window ends in 0:50');
    assert.equal(
      clockText(item({ status: 'locked' }), 80_000),
      'Window over · settling from the evidence',
    );
  });

  it('an in-play market takes wagers while the window runs', () => {
    const m = item({ closes_at_ms: 70_000 }, { in_play: true, bet_delay_ms: 5_000 });
    assert.equal(phase(m, 0), 'betting');
    assert.equal(clockText(m, 0), 'Window opens in 0:10');
    assert.equal(phase(m, 15_000), 'in-play');
    assert.equal(clockText(m, 15_000), 'In play · window ends in 0:55');
  });

  it('settled, void and review say so', () => {
    assert.equal(phase(item({ status: 'resolved' }), 0), 'settled');
    assert.equal(clockText(item({ status: 'canceled' }), 0), 'Void: every stake refunded');
    assert.equal(clockText(item({ status: 'review' }), 0), 'In review: a person decides');
  });
});

describe('notices', () => {
  it('states the bet delay', () => {
    assert.match(delayNotice({ bet_delay_ms: 5_000 }), /5 s bet delay/);
    assert.match(delayNotice({ bet_delay_ms: 2_500 }), /2\.5 s bet delay/);
  });

  it('shows the estimate as a share and fair odds with its basis', () => {
    assert.equal(estimateText({ estimate: null }), null);
    const text = estimateText({ estimate: 0.25, estimate_basis: '3 sightings' });
    assert.match(text, /25(\.0)?% YES \(fair odds 4\.00 YES \/ 1\.33 NO\), from 3 sightings\./);
  });

  it('tells a bettor what became of a held wager', () => {
    assert.equal(heldText({ status: 'pending' }), 'waiting out the bet delay');
    assert.equal(heldText({ status: 'refused', reason: 'seen' }), 'refused and refunded: seen');
  });

  it('picks the most confident evidence frame with its offset into the window', () => {
    assert.equal(bestFrame(item()), null);
    const m = item({}, { evidence_frames: [{ stream_ms: 12_500, label: 'Person' }] });
    assert.deepEqual(bestFrame(m), { stream_ms: 12_500, label: 'Person', offsetMs: 2_500 });
  });
});
