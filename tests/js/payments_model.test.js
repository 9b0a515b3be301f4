// payments_model.js: payment statuses for people, live updates of the lists, pay steps.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import {
  applyUpdate,
  isMoving,
  limitNote,
  paymentSteps,
  statusText,
} from '../../src/streambet/web/js/payments_model.js';

describe('statusText', () => {
  it('says what each status means for deposits and withdrawals', () => {
    assert.equal(statusText('deposit', 'credited'), 'Credited');
    assert.match(statusText('deposit', 'partial'), /under review/);
    assert.match(statusText('withdrawal', 'rejected'), /back in your balance/);
    assert.equal(statusText('withdrawal', 'mystery'), 'mystery');
  });

  it('knows which statuses may still change', () => {
    assert.ok(isMoving('created') && isMoving('awaiting_approval') && isMoving('sent'));
    assert.ok(!isMoving('credited') && !isMoving('paid') && !isMoving('failed'));
  });
});

describe('applyUpdate', () => {
  const items = [
    { id: 1, status: 'created', credited: 0 },
    { id: 2, status: 'credited', credited: 500 },
  ];

  it('updates the item the message is about', () => {
    const next = applyUpdate(items, 'deposit', {
      kind: 'deposit',
      id: 1,
      status: 'partial',
      credited: 250,
    });
    assert.deepEqual(next[0], { id: 1, status: 'partial', credited: 250 });
    assert.equal(next[1], items[1]);
    assert.equal(items[0].status, 'created'); // the old list is untouched
  });

  it('ignores the other kind and asks for a reload when the item is missing', () => {
    assert.equal(
      applyUpdate(items, 'deposit', { kind: 'withdrawal', id: 1, status: 'paid' }),
      items,
    );
    assert.equal(
      applyUpdate(items, 'deposit', { kind: 'deposit', id: 9, status: 'credited' }),
      null,
    );
  });
});

describe('paymentSteps and limitNote', () => {
  it('tells the payer where to send crypto, or which card payment to finish', () => {
    const crypto = {
      instructions: {
        kind: 'nowpayments',
        pay_amount: 0.001,
        pay_currency: 'btc',
        pay_address: 'bc1q',
      },
    };
    assert.deepEqual(paymentSteps(crypto), ['Send 0.001 BTC', 'to bc1q']);
    assert.match(
      paymentSteps({ instructions: { kind: 'stripe', payment_intent: 'pi_1' } })[0],
      /pi_1/,
    );
    assert.deepEqual(paymentSteps({ instructions: { kind: 'play' } }), []);
  });

  it('shows what was used and a waiting change', () => {
    const money = (v) => `${v}`;
    const date = () => 'tomorrow';
    assert.equal(limitNote({ used: 5, next_from_ms: null }, money, date), 'used 5');
    assert.equal(
      limitNote({ used: 5, next_amount: null, next_from_ms: 1 }, money, date),
      'used 5 · changes to no limit on tomorrow',
    );
  });
});
