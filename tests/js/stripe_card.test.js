// stripe_card.js against a stand-in for Stripe.js (js.stripe.com cannot be reached from
// tests), shaped as Stripe documents it: Stripe(pk).elements({clientSecret}),
// elements.create('payment').mount(el), stripe.confirmPayment({elements, redirect,
// confirmParams}) resolving to {error} or {paymentIntent}.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { cardForm, confirmationText } from '../../src/streambet/web/js/stripe_card.js';

function standIn(result) {
  const calls = [];
  const elements = {
    create(type) {
      calls.push(['create', type]);
      return { mount: (el) => calls.push(['mount', el]) };
    },
  };
  return {
    calls,
    elements(options) {
      calls.push(['elements', options]);
      return elements;
    },
    async confirmPayment(options) {
      calls.push(['confirmPayment', options]);
      assert.equal(options.elements, elements);
      return result;
    },
  };
}

describe('cardForm', () => {
  it('mounts the payment element for the intent and confirms it without a needless redirect', async () => {
    const stripe = standIn({ paymentIntent: { id: 'pi_1', status: 'succeeded' } });
    const pay = cardForm(stripe, 'pi_1_secret_x', 'BOX', 'http://app/#/wallet');
    assert.deepEqual(stripe.calls.slice(0, 3), [
      ['elements', { clientSecret: 'pi_1_secret_x' }],
      ['create', 'payment'],
      ['mount', 'BOX'],
    ]);
    const outcome = await pay();
    const [, options] = stripe.calls[3];
    assert.equal(options.redirect, 'if_required');
    assert.deepEqual(options.confirmParams, { return_url: 'http://app/#/wallet' });
    assert.equal(outcome.ok, true);
    assert.match(outcome.text, /credited as soon as Stripe confirms/);
  });

  it("shows Stripe's own words for a refused card", async () => {
    const stripe = standIn({ error: { type: 'card_error', message: 'Your card was declined.' } });
    const outcome = await cardForm(stripe, 's', 'BOX', 'u')();
    assert.deepEqual(outcome, { ok: false, text: 'Your card was declined.' });
  });
});

describe('confirmationText', () => {
  it('never claims money has arrived before the webhook', () => {
    assert.match(confirmationText({ paymentIntent: { status: 'processing' } }), /processing/);
    assert.match(
      confirmationText({ paymentIntent: { status: 'requires_payment_method' } }),
      /another card/,
    );
    assert.match(confirmationText({ paymentIntent: { status: 'requires_action' } }), /steps/);
  });
});
