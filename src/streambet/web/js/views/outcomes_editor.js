// Several outcomes, each won by its own label ("Which appears: Cat, Dog or neither?"), plus
// an optional outcome for "none of them". The engine settles one only when exactly one
// outcome's label is seen; when several are, an admin reviews (domain/settlement.py).

import { field, h } from '../dom.js';

const MIN_ROWS = 2;
const MAX_ROWS = 9; // with the "none of them" outcome, the API's limit of 10

export function outcomesEditor(taxonomy) {
  const rows = h('div', { class: 'stack', id: 'outcome-rows' });
  const none = h('input', {
    type: 'text',
    id: 'outcome-none',
    value: 'None of them',
    maxlength: 40,
  });
  const add = h(
    'button',
    { type: 'button', id: 'add-outcome', onclick: () => addRow() },
    'Add an outcome',
  );
  let serial = 0;

  function renumber() {
    [...rows.children].forEach((row, i) => {
      row.querySelector('[data-role=title-label]').textContent = `Outcome ${i + 1}`;
      row.querySelector('[data-role=label-label]').textContent = `Label for outcome ${i + 1}`;
      row.querySelector('[data-role=remove]').textContent = `Remove outcome ${i + 1}`;
      row.querySelector('[data-role=remove]').disabled = rows.children.length <= MIN_ROWS;
    });
    add.disabled = rows.children.length >= MAX_ROWS;
  }

  function addRow() {
    serial += 1;
    const title = h('input', {
      type: 'text',
      id: `outcome-title-${serial}`,
      maxlength: 40,
      dataset: { role: 'title' },
    });
    const label = h(
      'select',
      { id: `outcome-label-${serial}`, dataset: { role: 'label' } },
      h('option', { value: '' }, 'Choose a label…'),
      taxonomy.map((n) => h('option', { value: n }, n)),
    );
    // The title follows the label until the operator types one of their own.
    label.addEventListener('change', () => {
      if (!title.dataset.typed) title.value = label.value;
    });
    title.addEventListener('input', () => {
      title.dataset.typed = '1';
    });
    const row = h(
      'div',
      { class: 'row outcome-row' },
      h(
        'div',
        { style: { flex: 1 } },
        h(
          'div',
          { class: 'field' },
          h('label', { for: title.id, dataset: { role: 'title-label' } }),
          title,
        ),
      ),
      h(
        'div',
        { style: { flex: 1 } },
        h(
          'div',
          { class: 'field' },
          h('label', { for: label.id, dataset: { role: 'label-label' } }),
          label,
        ),
      ),
      h('button', {
        type: 'button',
        class: 'link',
        dataset: { role: 'remove' },
        onclick: () => {
          row.remove();
          renumber();
        },
      }),
    );
    rows.append(row);
    renumber();
  }

  for (let i = 0; i < MIN_ROWS; i += 1) addRow();

  const element = h(
    'div',
    { class: 'stack', id: 'several-outcomes', hidden: true },
    rows,
    add,
    field(
      'Outcome when none is seen',
      none,
      'Leave empty for no such outcome: then a clip showing none of them goes to review.',
    ),
  );

  /** {outcomes} for the API (criteria get `extra`: confidence and window), or {problems}. */
  function read(extra) {
    const problems = [];
    const outcomes = [...rows.children].map((row) => ({
      title: row.querySelector('[data-role=title]').value.trim(),
      label: row.querySelector('[data-role=label]').value,
    }));
    if (outcomes.some((o) => !o.label)) problems.push('Choose a label for every outcome.');
    if (outcomes.some((o) => !o.title)) problems.push('Give every outcome a title.');
    if (new Set(outcomes.map((o) => o.label)).size !== outcomes.length)
      problems.push('Each outcome needs a label of its own.');
    if (problems.length) return { problems };
    const out = outcomes.map((o) => ({ title: o.title, criteria: { label: o.label, ...extra } }));
    if (none.value.trim()) out.push({ title: none.value.trim(), criteria: null });
    return { outcomes: out };
  }

  return { element, read };
}
