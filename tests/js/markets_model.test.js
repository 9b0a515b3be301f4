// markets_model.js: markets as the API sends them, and the rules the market views share.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import {
  applyOdds,
  canDispute,
  criteriaText,
  disputeWindowOpen,
  estimatedReturn,
  isWinner,
  marketIdOf,
  normaliseMarket,
  oddsKey,
  operatorActions,
  outcomeById,
  outcomeShare,
  payoutPreview,
  poolSplitText,
  settlementHeadline,
  settlementRules,
  settlementStory,
  showsSettlement,
  stakeProblem,
  STATUS_TEXT,
  wagerResult,
  wagerSettled,
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
  it("says what the market is doing before a payout: never 'open' once it is locked", () => {
    assert.equal(wagerStatus({ payout: null }, 'open'), 'open');
    assert.equal(wagerStatus({ payout: null }, 'locked'), 'locked');
    assert.equal(wagerStatus({ payout: null }, 'review'), 'in review');
    assert.equal(wagerStatus({}, 'resolved'), 'awaiting payout');
    assert.equal(wagerStatus({}, 'disputed'), 'disputed');
    assert.equal(wagerStatus({}, 'canceled'), 'refunded');
  });

  it('is won, lost or refunded once paid', () => {
    assert.equal(wagerStatus({ payout: 1900, outcome_id: 1 }, 'resolved', 1), 'won');
    assert.equal(wagerStatus({ payout: 0, outcome_id: 2 }, 'resolved', 1), 'lost');
    // Decided, not yet paid: the losing side already reads lost, the winning side waits.
    assert.equal(wagerStatus({ payout: null, outcome_id: 2 }, 'resolved', 1), 'lost');
    assert.equal(wagerStatus({ payout: null, outcome_id: 1 }, 'resolved', 1), 'awaiting payout');
    assert.equal(wagerStatus({ payout: 1000 }, 'canceled'), 'refunded');
    // Nobody backed the winner: every stake came back, the losing side's too.
    assert.equal(
      wagerStatus({ payout: 500, stake: 500, outcome_id: 2 }, 'resolved', 1),
      'refunded',
    );
  });

  it('settles a wager once its money moved, and gives the exact return and profit', () => {
    assert.equal(wagerSettled({ payout: null }, 'review'), false);
    assert.equal(wagerSettled({ payout: 0 }, 'resolved'), true);
    assert.equal(wagerSettled({ payout: null }, 'canceled'), true);
    assert.equal(wagerResult({ payout: null, stake: 100 }), null);
    assert.deepEqual(wagerResult({ payout: 3799, stake: 2000 }), { paid: 3799, profit: 1799 });
    assert.deepEqual(wagerResult({ payout: 0, stake: 2000 }), { paid: 0, profit: -2000 });
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

describe('estimatedReturn', () => {
  // Pool math of domain/pools.py (tests/integration/test_slip_math_matches_domain.py checks
  // it against settle_pool on many random pools).
  it("includes the bettor's own stake in both pools, takeout and breakage rounded down", () => {
    const m = normaliseMarket(apiMarket()); // Yes 30.00, No 10.00, takeout 5%
    const [yes, no] = m.outcomes;
    // gross 44.00, takeout 2.20, net 41.80; 41.80 x 4 / 34 = 4.917... -> 4.91
    assert.equal(estimatedReturn(m, yes, 400), 491);
    // 41.80 x 4 / 14 = 11.942... -> 11.94
    assert.equal(estimatedReturn(m, no, 400), 1194);
  });

  it('returns the stake less the takeout on an empty pool', () => {
    const m = normaliseMarket(apiMarket({ pool: 0 }));
    m.outcomes.forEach((o) => (o.pool = 0));
    assert.equal(estimatedReturn(m, m.outcomes[0], 4000), 3800);
  });
});

describe('payoutPreview', () => {
  const m = normaliseMarket(apiMarket());
  const [yes] = m.outcomes;

  it('asks for an outcome and a stake first', () => {
    const ask = { text: 'Choose an outcome and a stake.', invalid: false };
    assert.deepEqual(payoutPreview(m, undefined, '10'), ask);
    assert.deepEqual(payoutPreview(m, yes, '  '), ask);
  });

  it('flags a stake that is not an amount', () => {
    const bad = { text: 'Enter an amount like 10 or 12.50.', invalid: true };
    assert.deepEqual(payoutPreview(m, yes, '10.555'), bad);
    assert.deepEqual(payoutPreview(m, yes, '0'), bad);
  });

  it('estimates the return if the pool closed now, and says it moves', () => {
    assert.equal(
      payoutPreview(m, yes, '4').text,
      'If the pool closed now with your stake in it, a win on Yes would return 4.91 cr' +
        ' (profit 0.91 cr). This estimate moves as others bet, until the market locks.',
    );
  });

  it('says an empty pool has no odds instead of inventing them', () => {
    const empty = normaliseMarket(apiMarket({ pool: 0 }));
    empty.outcomes.forEach((o) => (o.pool = 0));
    assert.equal(
      payoutPreview(empty, empty.outcomes[0], '40').text,
      'The pool is empty, so there are no odds yet. If nobody else bets, a win on Yes would' +
        ' return 38.00 cr (loss 2.00 cr). This estimate moves as others bet, until the market' +
        ' locks.',
    );
  });

  it('splits the pool in percent', () => {
    assert.equal(poolSplitText(m), 'Yes 75% · No 25%');
    assert.equal(poolSplitText({ ...m, pool: 0 }), null);
  });
});

describe('stakeProblem', () => {
  const m = normaliseMarket(apiMarket());
  const [yes] = m.outcomes;

  it('tells empty, zero and not-a-number apart', () => {
    assert.equal(stakeProblem(m, undefined, '5'), 'Choose an outcome first.');
    assert.equal(stakeProblem(m, yes, ''), 'Enter a stake: how much to bet, like 10 or 12.50.');
    assert.equal(stakeProblem(m, yes, '0'), 'A stake must be more than 0.');
    assert.equal(
      stakeProblem(m, yes, 'abc'),
      '"abc" is not an amount: use digits, like 10 or 12.50.',
    );
  });

  it("keeps stakes within the market's limits, inclusive", () => {
    const limits = 'Stakes on this market are 1.00 cr to 500.00 cr.';
    assert.equal(stakeProblem(m, yes, '0.99'), limits);
    assert.equal(stakeProblem(m, yes, '500.01'), limits);
    assert.equal(stakeProblem(m, yes, '1'), null);
    assert.equal(stakeProblem(m, yes, '500'), null);
  });

  it('states the balance when the stake is over it', () => {
    assert.equal(stakeProblem(m, yes, '60', 5000), 'That is more than your balance of 50.00 cr.');
    assert.equal(stakeProblem(m, yes, '50', 5000), null);
  });
});

describe('settlement words', () => {
  const m = normaliseMarket(
    apiMarket({
      outcomes: [
        {
          id: 1,
          title: 'YES',
          pool: 0,
          odds: null,
          criteria: { label: 'Cat', min_confidence: 80 },
        },
        { id: 2, title: 'NO', pool: 0, odds: null, criteria: null },
      ],
    }),
  );

  it('puts each rule in plain words', () => {
    assert.deepEqual(settlementRules(m), [
      {
        title: 'YES',
        text: 'YES wins if the engine sees a Cat at 80% or more, anywhere in the footage.',
      },
      { title: 'NO', text: 'NO wins if none of the other outcomes happens.' },
    ]);
    assert.equal(
      criteriaText({
        label: 'Person',
        min_confidence: 60,
        min_count: 2,
        start_ms: 2000,
        end_ms: 65000,
      }),
      'the engine sees a Person at 60% or more, 2 at once, between 0:02 and 1:05',
    );
    assert.equal(
      criteriaText({ spoken: 'goal', min_confidence: 70 }),
      'the words "goal" are said at 70% or more, anywhere in the footage',
    );
  });

  it('says what was needed and what was seen', () => {
    const settlement = {
      evidence: {
        outcomes: [
          {
            outcome_id: 1,
            holds: true,
            window_fully_analysed: true,
            detections: [
              { label: 'Cat', detected: 'Tiger Cat', timestamp_ms: 3500, confidence: 93.4 },
              { label: 'Cat', detected: 'Cat', timestamp_ms: 4000, confidence: 88 },
            ],
          },
        ],
      },
    };
    assert.deepEqual(settlementStory(m, settlement), [
      'YES needed a Cat at 80% or more. The engine saw a Tiger Cat at 93% at 0:03.',
    ]);
    settlement.evidence.outcomes[0] = {
      outcome_id: 1,
      holds: false,
      detections: [],
      window_fully_analysed: true,
    };
    assert.deepEqual(settlementStory(m, settlement), [
      'YES needed a Cat at 80% or more. The engine did not see it anywhere it looked.',
    ]);
    assert.deepEqual(settlementStory(m, null), []);
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

  it('lets only a bettor the result goes against dispute, while the window is open', () => {
    const now = 1_000_000;
    const m = normaliseMarket(
      apiMarket({ status: 'resolved', winning_outcome_id: 1, dispute_deadline_ms: now + 1 }),
    );
    const loser = [{ id: 1, outcome_id: 2 }];
    const winner = [{ id: 2, outcome_id: 1 }];
    assert.equal(disputeWindowOpen(m, now), true);
    assert.equal(canDispute(m, loser, now), true);
    assert.equal(canDispute(m, winner, now), false);
    assert.equal(canDispute(m, [], now), false);
    assert.equal(canDispute(m, loser, now + 1), false);
    assert.equal(canDispute({ ...m, paidAt: now - 5 }, loser, now), false);
    assert.equal(canDispute({ ...m, status: 'disputed' }, loser, now), false);
    assert.equal(disputeWindowOpen({ ...m, disputeUntil: null }, now), false);
    // Nobody backed the winner: every stake is refunded, so a winner-side bettor may dispute.
    const unbacked = {
      ...m,
      outcomes: m.outcomes.map((o) => ({ ...o, pool: o.id === 1 ? 0 : o.pool })),
    };
    assert.equal(canDispute(unbacked, winner, now), true);
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
