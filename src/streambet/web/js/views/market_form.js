// The operator's market form: from a suggestion or by hand. A market settles on a label
// being seen (chosen from the taxonomy names this analysis produced, each label and its
// parents, never typed; optionally how many at once, for how long, where in the frame)
// or on words being said on the sound track, or on text shown on screen; or several
// outcomes, one label each (views/outcomes_editor.js). A label the engine's precision was not measured for is
// accepted, but the form says before creation that a person will settle the market.

import { api, describeError } from '../api.js';
import { field, h, toast } from '../dom.js';
import { formatPercent, parseMoney } from '../format.js';
import { outcomesEditor } from './outcomes_editor.js';

const AUTO_SETTLE = 80;
const SPOKEN_CONFIDENCE = 50; // the server's default for words: Whisper's word scores run lower
const MAX_WORDS = 6;
const MAX_TEXT_CHARS = 64;
// Where in the frame a detection's box must lie (ratios of the frame, as the API takes them).
const REGIONS = {
  anywhere: null,
  left: { left: 0, top: 0, width: 0.5, height: 1 },
  right: { left: 0.5, top: 0, width: 0.5, height: 1 },
  top: { left: 0, top: 0, width: 1, height: 0.5 },
  bottom: { left: 0, top: 0.5, width: 1, height: 0.5 },
};
const REGION_NAMES = {
  anywhere: 'Anywhere',
  left: 'Left half',
  right: 'Right half',
  top: 'Top half',
  bottom: 'Bottom half',
};

/** `analysis`: the page's one GET /api/analyses/{id}?format=timeline response. */
export function marketForm({ analysisId, analysis, lanes, durationMs }) {
  const taxonomy = [
    ...new Set(lanes.flatMap((l) => [l.name, ...l.parents, ...(l.members || [])])),
  ].sort((a, b) => a.localeCompare(b));
  const error = h('div', { class: 'alert', role: 'alert', id: 'market-error', hidden: true });
  const question = h('input', {
    type: 'text',
    id: 'market-question',
    maxlength: 200,
    required: true,
  });
  const shape = h(
    'select',
    { id: 'market-shape' },
    h('option', { value: 'yesno' }, 'Yes or no'),
    h('option', { value: 'several' }, 'Several outcomes, one label each'),
  );
  const several = outcomesEditor(taxonomy);
  const kind = h(
    'select',
    { id: 'market-kind' },
    h('option', { value: 'label' }, 'A label is seen'),
    h('option', { value: 'spoken' }, 'Words are said'),
    h('option', { value: 'text' }, 'Text is shown on screen'),
  );
  // Footage not analysed yet (held for its markets) has no labels of its own to choose
  // from: the label is typed, and the server checks it against the engine's taxonomy.
  const label = taxonomy.length
    ? h(
        'select',
        { id: 'market-label', required: true },
        h('option', { value: '' }, 'Choose a label…'),
        taxonomy.map((n) => h('option', { value: n }, n)),
      )
    : h('input', {
        type: 'text',
        id: 'market-label',
        required: true,
        maxlength: 128,
        placeholder: 'e.g. Cat, Person, Car',
      });
  const minCount = h('input', {
    type: 'number',
    id: 'market-min-count',
    min: 1,
    step: 1,
    value: 1,
    inputmode: 'numeric',
  });
  const minDuration = h('input', {
    type: 'number',
    id: 'market-min-duration',
    min: 0,
    step: 0.5,
    value: 0,
    inputmode: 'decimal',
  });
  const region = h(
    'select',
    { id: 'market-region' },
    Object.keys(REGIONS).map((k) => h('option', { value: k }, REGION_NAMES[k])),
  );
  const spoken = h('input', {
    type: 'text',
    id: 'market-spoken',
    maxlength: 80,
    placeholder: 'goal',
  });
  const minConf = h('input', {
    type: 'number',
    id: 'market-min-confidence',
    min: 0,
    max: 100,
    step: 1,
    value: AUTO_SETTLE,
    inputmode: 'numeric',
  });
  const fromS = h('input', {
    type: 'number',
    id: 'market-from',
    min: 0,
    step: 0.5,
    value: 0,
    inputmode: 'decimal',
  });
  const toS = h('input', {
    type: 'number',
    id: 'market-to',
    min: 0,
    step: 0.5,
    value: (durationMs / 1000).toFixed(1),
    inputmode: 'decimal',
  });
  const yesTitle = h('input', { type: 'text', id: 'market-yes', value: 'Yes', maxlength: 40 });
  const noTitle = h('input', { type: 'text', id: 'market-no', value: 'No', maxlength: 40 });
  const takeout = h('input', {
    type: 'number',
    id: 'market-takeout',
    min: 0,
    max: 50,
    step: 0.25,
    value: 5,
    inputmode: 'decimal',
  });
  const minStake = h('input', {
    type: 'text',
    id: 'market-min-stake',
    value: '1.00',
    inputmode: 'decimal',
  });
  const maxStake = h('input', {
    type: 'text',
    id: 'market-max-stake',
    value: '500.00',
    inputmode: 'decimal',
  });
  const submit = h(
    'button',
    { type: 'submit', class: 'primary', id: 'market-submit' },
    'Open market',
  );

  // Computed once on the server (domain/suggestions.py) and sent with the timeline.
  const suggestions = analysis.suggestions || [];
  const suggestionList = h(
    'ul',
    { class: 'stack', id: 'suggestions', style: { listStyle: 'none', padding: 0, margin: 0 } },
    suggestions.length
      ? suggestions.map((s, i) =>
          h(
            'li',
            { class: 'row spread' },
            h(
              'span',
              {},
              s.question,
              h('span', { class: 'muted' }, ` (seen at ${formatPercent(s.confidence)})`),
            ),
            h(
              'button',
              { type: 'button', id: `use-suggestion-${i}`, onclick: () => use(s) },
              'Use',
            ),
          ),
        )
      : h(
          'li',
          { class: 'muted' },
          analysis.status === 'held'
            ? "Suggestions come from the analysis, which waits for this clip's markets."
            : 'No label was seen confidently enough to suggest a market.',
        ),
  );

  // What POST /api/markets/check says of the chosen label: settled by the engine, or
  // always by a person. Only the latest answer counts.
  const settleNote = h('p', { class: 'hint', id: 'market-settle-note', hidden: true });
  let checking = 0;
  async function checkSettle() {
    const mine = ++checking;
    settleNote.hidden = true;
    const name = label.value.trim();
    if (!name) return;
    try {
      const check = await api('/api/markets/check', {
        method: 'POST',
        body: { criteria: { label: name } },
      });
      if (mine !== checking) return;
      settleNote.textContent = check.message;
      settleNote.hidden = check.settles !== 'review';
    } catch {
      // an unknown label: the create call reports it in full
    }
  }
  label.addEventListener('change', checkSettle);

  function use(s) {
    question.value = s.question;
    shape.value = 'yesno';
    showShape();
    kind.value = 'label';
    showKind();
    label.value = s.label;
    checkSettle();
    minConf.value = AUTO_SETTLE;
    question.focus();
  }

  const labelFields = h(
    'div',
    { class: 'stack', id: 'label-fields' },
    field(
      'Label (from the taxonomy)',
      label,
      'Parents match their children: “Animal” is met by a detected Cat.',
    ),
    settleNote,
    h(
      'div',
      { class: 'row' },
      h('div', { style: { flex: 1 } }, field('At least this many at once', minCount)),
      h('div', { style: { flex: 1 } }, field('Seen for at least (s)', minDuration)),
      h('div', { style: { flex: 1 } }, field('Where in the frame', region)),
    ),
  );
  const spokenFields = h(
    'div',
    { class: 'stack', id: 'spoken-fields', hidden: true },
    field(
      'Words said (up to 6)',
      spoken,
      'Matched word by word in the transcript, ignoring case and punctuation.',
    ),
  );

  const shown = h('input', {
    type: 'text',
    id: 'market-text',
    maxlength: MAX_TEXT_CHARS,
    placeholder: 'e.g. GOAL',
  });
  const textFields = h(
    'div',
    { class: 'stack', id: 'text-fields', hidden: true },
    field(
      'Text shown (a word or phrase)',
      shown,
      'Read on screen by the engine; matched ignoring case and punctuation.',
    ),
  );

  // Each kind has its own confidence default; switching keeps a value the operator typed.
  function showKind() {
    const isSpoken = kind.value === 'spoken';
    labelFields.hidden = kind.value !== 'label';
    spokenFields.hidden = !isSpoken;
    textFields.hidden = kind.value !== 'text';
    const untouched = [String(AUTO_SETTLE), String(SPOKEN_CONFIDENCE)].includes(minConf.value);
    if (untouched) minConf.value = isSpoken ? SPOKEN_CONFIDENCE : AUTO_SETTLE;
  }
  kind.addEventListener('change', showKind);

  const kindField = field('Condition', kind);
  const titles = h(
    'div',
    { class: 'row', id: 'yes-no-titles' },
    h('div', { style: { flex: 1 } }, field('Outcome when met', yesTitle)),
    h('div', { style: { flex: 1 } }, field('Otherwise', noTitle)),
  );
  function showShape() {
    const isSeveral = shape.value === 'several';
    several.element.hidden = !isSeveral;
    for (const el of [kindField, titles]) el.hidden = isSeveral;
    if (isSeveral) {
      labelFields.hidden = true;
      spokenFields.hidden = true;
      textFields.hidden = true;
    } else {
      showKind();
    }
  }
  shape.addEventListener('change', showShape);

  const form = h(
    'form',
    {
      class: 'card stack',
      id: 'market-form',
      novalidate: true,
      'aria-labelledby': 'market-form-title',
    },
    h('h2', { id: 'market-form-title' }, 'Create a market'),
    h('h3', {}, 'Suggestions'),
    suggestionList,
    error,
    field('Question', question),
    field('Outcomes', shape),
    h(
      'fieldset',
      { class: 'stack', style: { border: '1px solid var(--border)', borderRadius: '8px' } },
      h('legend', {}, 'Settles on'),
      kindField,
      labelFields,
      spokenFields,
      textFields,
      several.element,
      field('Minimum confidence (0–100)', minConf),
      h(
        'div',
        { class: 'row' },
        h('div', { style: { flex: 1 } }, field('From (s)', fromS)),
        h('div', { style: { flex: 1 } }, field('To (s)', toS)),
      ),
    ),
    titles,
    h(
      'div',
      { class: 'row' },
      h('div', { style: { flex: 1 } }, field('Takeout (%)', takeout)),
      h('div', { style: { flex: 1 } }, field('Min stake', minStake)),
      h('div', { style: { flex: 1 } }, field('Max stake', maxStake)),
    ),
    submit,
  );

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    error.hidden = true;
    const problems = [];
    if (!question.value.trim()) problems.push('Write the question bettors will see.');
    const words = spoken.value.trim().split(/\s+/).filter(Boolean);
    const count = Number(minCount.value);
    const seconds = Number(minDuration.value || 0);
    const isSeveral = shape.value === 'several';
    if (!isSeveral && kind.value === 'spoken') {
      if (!words.length || words.length > MAX_WORDS)
        problems.push(
          `Write the word or phrase (1 to ${MAX_WORDS} words) that decides the market.`,
        );
    } else if (!isSeveral && kind.value === 'text') {
      if (!shown.value.trim()) problems.push('Write the text that decides the market.');
    } else if (!isSeveral) {
      if (!label.value) problems.push('Choose the label that decides the market.');
      if (!(Number.isInteger(count) && count >= 1))
        problems.push('“At least this many” is a whole number from 1.');
      if (!(seconds >= 0)) problems.push('“Seen for at least” is a number of seconds from 0.');
    }
    const min = parseMoney(minStake.value);
    const max = parseMoney(maxStake.value);
    if (!min || !max || min > max)
      problems.push('Stakes need a minimum no larger than the maximum, like 1.00 and 500.00.');
    const conf = Number(minConf.value);
    if (!(conf >= 0 && conf <= 100)) problems.push('Confidence is a number from 0 to 100.');
    const shared = { min_confidence: conf, start_ms: Math.round(Number(fromS.value || 0) * 1000) };
    if (toS.value !== '') shared.end_ms = Math.round(Number(toS.value) * 1000);
    let outcomes;
    if (isSeveral) {
      const read = several.read(shared);
      problems.push(...(read.problems || []));
      outcomes = read.outcomes;
    } else {
      const criteria =
        kind.value === 'spoken'
          ? { spoken: words.join(' '), ...shared }
          : kind.value === 'text'
            ? { text: shown.value.trim(), ...shared }
            : { label: label.value, ...shared };
      if (kind.value === 'label') {
        if (count > 1) criteria.min_count = count;
        if (seconds > 0) criteria.min_duration_ms = Math.round(seconds * 1000);
        if (REGIONS[region.value]) criteria.region = REGIONS[region.value];
      }
      outcomes = [
        { title: yesTitle.value.trim() || 'Yes', criteria },
        { title: noTitle.value.trim() || 'No', criteria: null },
      ];
    }
    if (problems.length) {
      error.textContent = problems.join(' ');
      error.hidden = false;
      return;
    }
    submit.disabled = true;
    try {
      const market = await api('/api/markets', {
        method: 'POST',
        body: {
          question: question.value.trim(),
          analysis_id: analysisId,
          outcomes,
          takeout_bp: Math.round(Number(takeout.value) * 100),
          min_stake: min,
          max_stake: max,
        },
      });
      toast('Market opened.');
      location.hash = `#/markets/${market.id}`;
    } catch (err) {
      error.textContent = describeError(err);
      error.hidden = false;
    } finally {
      submit.disabled = false;
    }
  });
  return form;
}
