// The operator's controls on one market: lock betting, settle from the evidence, cancel
// and refund, whichever its status allows (the server checks again: only the operator who
// created the market, or an admin, may act on it).

import { api, describeError } from '../api.js';
import { h, toast } from '../dom.js';
import { operatorActions } from '../markets_model.js';

const ACTIONS = {
  lock: { id: 'lock-market', text: 'Lock betting', done: 'Market locked: no more wagers.' },
  settle: {
    id: 'settle-market',
    class: 'primary',
    text: 'Settle from the evidence',
    done: 'Settled from the evidence.',
  },
  cancel: {
    id: 'cancel-market',
    class: 'danger',
    text: 'Cancel and refund',
    done: 'Market canceled; stakes refunded.',
    body: { reason: 'Canceled by the operator' },
  },
};

/** The operator's section; `onDone()` runs after every action, whether it worked or not. */
export function operatorControls({ market, onDone }) {
  const act = (path, spec) => async (event) => {
    event.currentTarget.disabled = true;
    try {
      await api(`/api/markets/${market.id}/${path}`, { method: 'POST', body: spec.body ?? {} });
      toast(spec.done);
    } catch (err) {
      toast(describeError(err), 'error');
    }
    await onDone();
  };
  const buttons = operatorActions(market.status).map((path) => {
    const spec = ACTIONS[path];
    return h(
      'button',
      { type: 'button', class: spec.class, id: spec.id, onclick: act(path, spec) },
      spec.text,
    );
  });
  return h(
    'section',
    { class: 'card stack', 'aria-labelledby': 'ops-title' },
    h('h2', { id: 'ops-title' }, 'Operator'),
    market.analysisId
      ? h(
          'p',
          {},
          'Footage: ',
          h('a', { href: `#/analyses/${market.analysisId}` }, 'analysis results'),
        )
      : null,
    buttons.length
      ? h('div', { class: 'row' }, buttons)
      : h('p', { class: 'muted' }, 'Nothing to do on this market.'),
  );
}
