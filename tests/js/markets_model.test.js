// markets_model.js: markets as the API sends them, and the rules the market views share.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import {
  applyOdds,
  canDispute,
  disputeWindowOpen,
  isWinner,
  marketIdOf,
  normaliseMarket,
  oddsKey,
  operatorActions,
  outcomeById,
  outcomeShare,
  payoutPreview,
  settlementHeadline,
  showsSettlement,
  stakeProblem,
  STATUS_TEXT,
  wagerStatus,
} from '../../src/streambet/web/js/markets_model.js';

// As GET /api/markets/{id} answers.
function apiMarket(extra = {}) {
  return {
    id: 7,
    question: 'Will a cat appear?',
    status: 'open',
    outcomes: [
      { id: 1, title: 'Yes', pool: 3000, odds: 1.9, criteria: { label: 'Cat' } },
      { id: 2, title: 'No', pool: 1000, odds: null, criteria: null },
    ],
    pool: 4000,
    takeout_bp: 500,
    min_stake: 100,
    max_stake: 50000,
    analysis_id: 'abc',
    settlement: null,
    dispute_deadline_ms: null,
    paid_at_ms: null,
    winning_outcome_id: null,
    ...extra,
  };
}

describe('normaliseMarket', () => {
  it('renames the API fields once and keeps numbers as numbers', () => {
    const m = normaliseMarket(apiMarket({ winning_outcome_id: 1, dispute_deadline_ms: 5 }));
    assert.equal(m.takeoutBp, 500);
    assert.equal(m.minStake, 100);
    assert.equal(m.maxStake, 50000);
    assert.equal(m.analysisId, 'abc');
    assert.equal(m.winningOutcomeId, 1);
    assert.equal(m.disputeUntil, 5);
    assert.deepEqual(m.outcomes[0], {
      id: 1,
      title: 'Yes',
      pool: 3000,
      odds: 1.9,
      criteria: { label: 'Cat' },
    });
    assert.equal(m.outcomes[1].odds, null);
  });

  it('fills what an older answer leaves out: pools summed, open stake limits', () => {
    const m = normaliseMarket({
      id: 1,
      question: 'q',
      status: 'open',
      outcomes: [
        { id: 1, title: 'A', pool: '250' },
        { id: 2, title: 'B' },
      ],
    });
    assert.equal(m.pool, 250);
    assert.deepEqual(
      m.outcomes.map((o) => [o.pool, o.odds, o.criteria]),
      [
        [250, null, null],
        [0, null, null],
      ],
    );
    assert.equal(m.minStake, 1);
    assert.equal(m.maxStake, Number.MAX_SAFE_INTEGER);
    assert.equal(m.takeoutBp, 0);
    assert.equal(m.settlement, null);
  });
});

describe('applyOdds', () => {
  it('moves pools and odds in place and names the outcomes whose pool moved', () => {
    const m = normaliseMarket(apiMarket());
    const changed = applyOdds(m, {
      market_id: 7,
      pool: 5000,
      outcomes: [
        { id: '2', pool: 2000, odds: 2.4 },
        { id: 1, pool: 3000, odds: 1.5 },
        { id: 99, pool: 1, odds: 1 },
      ],
    });
    assert.deepEqual(changed, [2]);
    assert.deepEqual(
      m.outcomes.map((o) => [o.pool, o.odds]),
      [
        [3000, 1.5],
        [2000, 2.4],
      ],
    );
    assert.equal(m.pool, 5000);
  });

  it('sums the pool when the event has none, and clears odds sent as null', () => {
    const m = normaliseMarket(apiMarket());
    applyOdds(m, { market_id: 7, outcomes: [{ id: 1, pool: 500, odds: null }] });
    assert.equal(m.pool, 1500);
    assert.equal(m.outcomes[0].odds, null);
    assert.equal(marketIdOf({ market_id: 7 }), 7);
  });
});

describe('wagerStatus', () => {
  it('is open, awaiting payout or refunded before a payout is recorded', () => {
    assert.equal(wagerStatus({ payout: null }, 'open'), 'open');
    assert.equal(wagerStatus({ payout: null }, 'locked'), 'open');
    assert.equal(wagerStatus({}, 'resolved'), 'awaiting payout');
    assert.equal(wagerStatus({}, 'disputed'), 'awaiting payout');
    assert.equal(wagerStatus({}, 'canceled'), 'refunded');
  });

  it('is won, lost or refunded once paid', () => {
    assert.equal(wagerStatus({ payout: 1900 }, 'resolved'), 'won');
    assert.equal(wagerStatus({ payout: 0 }, 'resolved'), 'lost');
    assert.equal(wagerStatus({ payout: 1000 }, 'canceled'), 'refunded');
  });
});

describe('outcomes', () => {
  const m = normaliseMarket(apiMarket({ winning_outcome_id: '2' }));

  it('shares the pool in whole percent, none of an empty pool', () => {
    assert.equal(outcomeShare(m, m.outcomes[0]), 75);
    assert.equal(outcomeShare(m, m.outcomes[1]), 25);
    assert.equal(outcomeShare({ ...m, pool: 0 }, m.outcomes[0]), 0);
  });

  it('finds outcomes and the winner whether ids come as numbers or strings', () => {
    assert.equal(outcomeById(m, '1'), m.outcomes[0]);
    assert.equal(outcomeById(m, 3), undefined);
    assert.equal(isWinner(m, m.outcomes[1]), true);
    assert.equal(isWinner(m, m.outcomes[0]), false);
  });

  it('keys what a poll redraws: status, pools and odds', () => {
    const a = normaliseMarket(apiMarket());
    const b = normaliseMarket(apiMarket({ question: 'changed wording' }));
    assert.equal(oddsKey(a), oddsKey(b));
    assert.notEqual(oddsKey(a), oddsKey(normaliseMarket(apiMarket({ status: 'locked' }))));
    b.outcomes[1].pool += 1;
    assert.notEqual(oddsKey(a), oddsKey(b));
  });
});

describe('payoutPreview', () => {
  const m = normaliseMarket(apiMarket());
  const [yes, no] = m.outcomes;

  it('asks for an outcome and a stake first', () => {
    const ask = { text: 'Choose an outcome and a stake.', invalid: false };
    assert.deepEqual(payoutPreview(undefined, '10'), ask);
    assert.deepEqual(payoutPreview(yes, '  '), ask);
  });

  it('flags a stake that is not an amount', () => {
    assert.deepEqual(payoutPreview(yes, '10.555'), {
      text: 'Enter an amount like 10 or 12.50.',
      invalid: true,
    });
  });

  it('shows the payout at the current odds, rounded down to the minor unit', () => {
    assert.equal(
      payoutPreview({ ...yes, odds: 1.333 }, '10.01').text,
      'Potential payout 13.34 cr at current odds 1.33×',
    );
    assert.equal(payoutPreview(yes, '10').text, 'Potential payout 19.00 cr at current odds 1.90×');
  });

  it('invites the first stake on an outcome without odds', () => {
    assert.equal(payoutPreview(no, '5').text, 'No odds yet on No: be the first to back it.');
  });
});

describe('stakeProblem', () => {
  const m = normaliseMarket(apiMarket());

  it('refuses no outcome, no amount or nothing staked', () => {
    const ask = 'Choose an outcome and enter a stake like 10 or 12.50.';
    assert.equal(stakeProblem(m, undefined, 500), ask);
    assert.equal(stakeProblem(m, m.outcomes[0], null), ask);
    assert.equal(stakeProblem(m, m.outcomes[0], 0), ask);
  });

  it("keeps stakes within the market's limits, inclusive", () => {
    const limits = 'Stakes on this market are 1.00 cr to 500.00 cr.';
    assert.equal(stakeProblem(m, m.outcomes[0], 99), limits);
    assert.equal(stakeProblem(m, m.outcomes[0], 50001), limits);
    assert.equal(stakeProblem(m, m.outcomes[0], 100), null);
    assert.equal(stakeProblem(m, m.outcomes[0], 50000), null);
  });
});

describe('settlement', () => {
  it('shows once a settlement is recorded or the status says the market was decided', () => {
    const show = (extra) => showsSettlement(normaliseMarket(apiMarket(extra)));
    assert.equal(show({}), false);
    assert.equal(show({ status: 'locked' }), false);
    for (const status of ['review', 'resolved', 'disputed', 'canceled']) {
      assert.equal(show({ status }), true, status);
    }
    assert.equal(show({ status: 'locked', settlement: { confidence: 90 } }), true);
  });

  it('heads with the winner, or with what happened instead', () => {
    const head = (extra) => settlementHeadline(normaliseMarket(apiMarket(extra)));
    assert.equal(head({ status: 'resolved', winning_outcome_id: 2 }), 'Outcome: No');
    assert.equal(head({ status: 'canceled' }), 'Canceled: every stake is refunded.');
    assert.equal(
      head({ status: 'review' }),
      'In review: the evidence was not decisive enough to pay out on its own.',
    );
    assert.equal(head({ status: 'locked' }), 'No outcome yet');
  });

  it('lets a bettor with a stake dispute a resolved market while the window is open', () => {
    const now = 1_000_000;
    const m = normaliseMarket(apiMarket({ status: 'resolved', dispute_deadline_ms: now + 1 }));
    const wagers = [{ id: 1 }];
    assert.equal(disputeWindowOpen(m, now), true);
    assert.equal(canDispute(m, wagers, now), true);
    assert.equal(canDispute(m, [], now), false);
    assert.equal(canDispute(m, wagers, now + 1), false);
    assert.equal(canDispute({ ...m, status: 'disputed' }, wagers, now), false);
    assert.equal(disputeWindowOpen({ ...m, disputeUntil: null }, now), false);
  });
});

describe('operatorActions', () => {
  it('offers what each status allows, in order', () => {
    assert.deepEqual(operatorActions('open'), ['lock', 'cancel']);
    assert.deepEqual(operatorActions('locked'), ['settle', 'cancel']);
    assert.deepEqual(operatorActions('review'), ['cancel']);
    for (const status of ['resolved', 'disputed', 'canceled']) {
      assert.deepEqual(operatorActions(status), [], status);
    }
  });

  it('has words for every status', () => {
    for (const status of ['open', 'locked', 'review', 'resolved', 'disputed', 'canceled']) {
      assert.equal(typeof STATUS_TEXT[status], 'string', status);
    }
  });
});
