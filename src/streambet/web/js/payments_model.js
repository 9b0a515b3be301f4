// Pure rules of the payment pages: what a deposit's or withdrawal's status means to a
// person, whether it is still moving, and how a live `payment.status` message updates a
// list. No DOM here, so node --test covers it (tests/js/payments_model.test.js).

const DEPOSIT_TEXT = {
  created: 'Waiting for your payment',
  pending: 'Payment on its way',
  partial: 'Part of it arrived (credited; under review)',
  credited: 'Credited',
  failed: 'Failed: nothing was taken',
};

const WITHDRAWAL_TEXT = {
  awaiting_approval: 'Waiting for approval',
  queued: 'Being sent',
  sent: 'Sent: waiting for the bank',
  paid: 'Paid',
  failed: 'Failed: the money is back in your balance',
  rejected: 'Rejected: the money is back in your balance',
  stalled: 'Delayed: our team is checking it',
};

const MOVING = new Set(['created', 'pending', 'partial', 'awaiting_approval', 'queued', 'sent']);

/** A sentence for a payment's status; `kind` is "deposit" or "withdrawal". */
export function statusText(kind, status) {
  const table = kind === 'withdrawal' ? WITHDRAWAL_TEXT : DEPOSIT_TEXT;
  return table[status] || String(status || 'unknown');
}

/** Whether the status may still change (the page keeps listening for it). */
export function isMoving(status) {
  return MOVING.has(status);
}

/**
 * The list after a live `payment.status` message: the item of that kind and id takes the
 * new status (and credited amount); a message about an item the list lacks returns null,
 * so the page reloads the list instead of guessing.
 */
export function applyUpdate(items, kind, message) {
  if (!message || message.kind !== kind) return items;
  let found = false;
  const next = items.map((item) => {
    if (item.id !== message.id) return item;
    found = true;
    const updated = { ...item, status: message.status };
    if (typeof message.credited === 'number') updated.credited = message.credited;
    return updated;
  });
  return found ? next : null;
}

/** What the deposit page tells the payer to do, from the provider's instructions. */
export function paymentSteps(deposit) {
  const how = deposit?.instructions || {};
  if (how.kind === 'nowpayments') {
    return [
      `Send ${how.pay_amount} ${String(how.pay_currency || '').toUpperCase()}`,
      `to ${how.pay_address}`,
    ];
  }
  if (how.kind === 'stripe') {
    return [`Card payment ${how.payment_intent}: enter the card in Stripe's form below.`];
  }
  return [];
}

/** Limits as the form shows them: a pending raise and when it applies. */
export function limitNote(limit, formatMoney, formatDate) {
  const parts = [`used ${formatMoney(limit.used)}`];
  if (limit.next_from_ms) {
    const to = limit.next_amount === null ? 'no limit' : formatMoney(limit.next_amount);
    parts.push(`changes to ${to} on ${formatDate(limit.next_from_ms)}`);
  }
  return parts.join(' · ');
}
