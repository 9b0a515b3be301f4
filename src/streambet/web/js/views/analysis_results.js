// One analysis's results: the player with the boxes of the current frame over it, the
// label timeline (click a bar to seek) with its filters, the downloads, the summary, and
// the operator's market form. Drawn from the model results.js reads from the timeline.

import { api, describeError } from '../api.js';
import { clipUrl, setClipFile } from '../clips.js';
import { field, h, replace, toast } from '../dom.js';
import { formatMs, formatPercent } from '../format.js';
import { session } from '../session.js';
import { frameAt, resultOf, textBars } from '../results.js';
import { filmstrip } from './filmstrip.js';
import { marketForm } from './market_form.js';

/**
 * `analysis`: the page's one ?format=timeline response; `model`: resultsModel of its
 * timeline; `cleanups` collects what to undo when the page goes.
 */
export function resultsView({ id, analysis, model, cleanups, videoUrl }) {
  const { lanes, frames, shots, blackFrames, texts, durationMs, interval } = model;
  const video = h('video', {
    id: 'player',
    controls: true,
    preload: 'auto',
    playsinline: true,
    'aria-label': 'Analysed clip',
    src: videoUrl || null,
  });
  const overlay = h('div', { class: 'overlay', id: 'overlay', 'aria-hidden': 'true' });
  const nowLabels = h('p', { class: 'muted', id: 'now-labels', 'aria-live': 'off' });
  const localPick = h('input', { type: 'file', accept: 'video/*', id: 'local-copy' });
  // Without the clip (reopened later, nothing kept) the stored frames stand in for the
  // player, which stays hidden: no empty black box, no boxes over nothing.
  const playerBox = h('div', { class: 'player', hidden: !videoUrl }, video, overlay);
  const player = h(
    'div',
    { class: 'stack' },
    playerBox,
    nowLabels,
    videoUrl ? null : filmstrip(id, model, (ms) => seek(ms)),
    videoUrl
      ? null
      : h(
          'details',
          { class: 'card' },
          h('summary', {}, 'Have the clip? Play it here'),
          field(
            'Play a local copy of this clip',
            localPick,
            'The clip plays from your computer; nothing is uploaded again.',
          ),
        ),
  );
  let pickedMs = 0; // the playhead without a video: the still last chosen
  localPick.addEventListener('change', () => {
    if (localPick.files?.[0]) {
      setClipFile(id, localPick.files[0]);
      video.src = clipUrl(id);
      playerBox.hidden = false;
    }
  });

  // Filters
  const categories = [...new Set(lanes.flatMap((l) => l.categories))].sort();
  const category = h(
    'select',
    { id: 'filter-category' },
    h('option', { value: '' }, 'All categories'),
    categories.map((c) => h('option', { value: c }, c)),
  );
  const minConf = h('input', {
    type: 'range',
    id: 'filter-confidence',
    min: 0,
    max: 100,
    step: 5,
    value: 50,
  });
  const minConfOut = h(
    'output',
    { for: 'filter-confidence', id: 'filter-confidence-value' },
    '50%',
  );
  const showShots = h('input', { type: 'checkbox', id: 'filter-shots', checked: true });
  const filters = h(
    'div',
    { class: 'filters' },
    field('Category', category),
    h(
      'div',
      { class: 'field' },
      h('label', { for: 'filter-confidence' }, 'Minimum confidence: ', minConfOut),
      minConf,
    ),
    h(
      'div',
      { class: 'field' },
      h('label', { class: 'row' }, showShots, 'Show shots and on-screen text'),
    ),
  );

  const lanesEl = h('ul', { class: 'lanes', id: 'lanes', 'aria-label': 'Labels over time' });
  const timeline = h('div', { class: 'timeline' }, lanesEl);

  const pct = (ms) => `${Math.max(0, Math.min(100, (ms / durationMs) * 100))}%`;
  const seek = (ms) => {
    pickedMs = ms;
    if (video.src) video.currentTime = ms / 1000;
    drawBoxes();
  };
  const barButton = (laneName, bar, cls, minC) =>
    h('button', {
      type: 'button',
      class: `bar ${cls}`,
      style: {
        left: pct(bar.start),
        width: `calc(${pct(bar.end - bar.start)} + 0px)`,
        opacity: String(
          0.35 + 0.65 * Math.max(0, (bar.confidence - minC) / Math.max(1, 100 - minC)),
        ),
      },
      'aria-label': `${laneName} from ${formatMs(bar.start)} to ${formatMs(bar.end)}, ${formatPercent(bar.confidence)} confidence`,
      title: `${laneName} ${formatMs(bar.start)}–${formatMs(bar.end)} · ${formatPercent(bar.confidence)}`,
      dataset: { start: bar.start, label: laneName },
      onclick: () => seek(bar.start),
    });
  const lane = (name, sub, bars, cls, minC) =>
    h(
      'li',
      { class: 'lane', dataset: { lane: name } },
      h('div', { class: 'lane-name', title: name }, name, sub ? h('small', {}, sub) : null),
      h(
        'div',
        { class: 'track' },
        bars.map((b) => barButton(name, b, cls, minC)),
      ),
    );

  function visibleLanes() {
    const min = Number(minConf.value);
    return lanes
      .filter((l) => !category.value || l.categories.includes(category.value))
      .map((l) => ({ ...l, bars: l.bars.filter((b) => b.confidence >= min) }))
      .filter((l) => l.bars.length);
  }

  function renderLanes() {
    const min = Number(minConf.value);
    minConfOut.textContent = `${min}%`;
    const items = visibleLanes().map((l) =>
      lane(
        l.name,
        l.parents.length ? l.parents.join(' › ') : l.categories[0],
        l.bars,
        'label',
        min,
      ),
    );
    if (showShots.checked) {
      if (shots.length) items.push(lane('Shots', 'segments', shots, 'shot', 0));
      if (blackFrames.length) items.push(lane('Black frames', 'segments', blackFrames, 'shot', 0));
      for (const [text, bars] of textBars(texts, interval))
        items.push(lane(`“${text}”`, 'on-screen text', bars, 'text', 0));
    }
    if (!items.length) items.push(h('li', { class: 'muted' }, 'No labels match these filters.'));
    replace(lanesEl, items);
    for (const track of lanesEl.querySelectorAll('.track'))
      track.append(h('div', { class: 'playhead', 'aria-hidden': 'true' }));
    drawBoxes();
  }

  function drawBoxes() {
    const picture = video.videoWidth > 0; // no box where there is no picture
    const ms = video.src ? video.currentTime * 1000 : pickedMs;
    for (const ph of lanesEl.querySelectorAll('.playhead')) ph.style.left = pct(ms);
    const frame = frameAt(frames, ms + 1, interval * 1.5);
    const min = Number(minConf.value);
    overlay.replaceChildren();
    const shown = [];
    // A label and its parents often share one box: draw it once, naming them all.
    const boxes = new Map();
    if (frame) {
      for (const l of frame.labels) {
        if (l.confidence < min) continue;
        if (category.value && !l.categories.includes(category.value)) continue;
        shown.push(`${l.name} ${formatPercent(l.confidence)}`);
        for (const b of picture ? l.boxes : []) {
          if (b.confidence < min) continue; // a weak instance of a confident label
          const key = [b.left, b.top, b.width, b.height].map((v) => v.toFixed(3)).join();
          if (!boxes.has(key)) boxes.set(key, { ...b, names: [] });
          boxes.get(key).names.push(`${l.name} ${formatPercent(b.confidence)}`);
        }
      }
    }
    for (const b of boxes.values()) {
      overlay.append(
        h(
          'div',
          {
            class: 'box',
            style: {
              left: `${b.left * 100}%`,
              top: `${b.top * 100}%`,
              width: `${b.width * 100}%`,
              height: `${b.height * 100}%`,
            },
          },
          h('span', {}, b.names.join(' · ')),
        ),
      );
    }
    nowLabels.textContent = `At ${formatMs(ms)}: ${shown.length ? shown.join(', ') : 'nothing above the filters'}`;
    fitOverlay();
  }

  // The overlay covers the picture itself, not the letterbox around it.
  function fitOverlay() {
    const w = video.clientWidth;
    const hgt = video.clientHeight;
    const vw = video.videoWidth;
    const vh = video.videoHeight;
    if (!w || !hgt || !vw || !vh) return;
    const scale = Math.min(w / vw, hgt / vh);
    const cw = vw * scale;
    const ch = vh * scale;
    Object.assign(overlay.style, {
      left: `${(w - cw) / 2}px`,
      top: `${(hgt - ch) / 2}px`,
      width: `${cw}px`,
      height: `${ch}px`,
      right: 'auto',
      bottom: 'auto',
    });
  }

  let raf = 0;
  const tick = () => {
    drawBoxes();
    raf = video.paused ? 0 : requestAnimationFrame(tick);
  };
  video.addEventListener('play', () => {
    if (!raf) raf = requestAnimationFrame(tick);
  });
  for (const ev of ['seeked', 'timeupdate', 'loadedmetadata'])
    video.addEventListener(ev, drawBoxes);
  window.addEventListener('resize', fitOverlay);
  cleanups.push(() => {
    cancelAnimationFrame(raf);
    window.removeEventListener('resize', fitOverlay);
  });
  for (const el of [category, minConf, showShots]) el.addEventListener('input', renderLanes);

  // Downloads
  const download = async (format, aggregate) => {
    const q = aggregate ? `format=${format}&aggregate_by=${aggregate}` : `format=${format}`;
    try {
      const data = resultOf(await api(`/api/analyses/${id}?${q}`));
      const blob = new Blob([JSON.stringify(data, null, 2)], { type: 'application/json' });
      const a = h('a', {
        href: URL.createObjectURL(blob),
        download: `analysis-${id}-${format}${aggregate ? `-${aggregate}` : ''}.json`,
      });
      document.body.append(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(a.href), 10000);
    } catch (err) {
      toast(describeError(err), 'error');
    }
  };
  const downloads = h(
    'div',
    { class: 'row' },
    h(
      'button',
      { type: 'button', id: 'download-seed', onclick: () => download('seed') },
      'Download JSON (StreamBet)',
    ),
    h(
      'button',
      {
        type: 'button',
        id: 'download-rekognition',
        onclick: () => download('rekognition', 'timestamps'),
      },
      'Download JSON (Rekognition)',
    ),
  );

  const suggestion = (analysis.suggestions || [])[0];
  const side = h(
    'aside',
    { class: 'stack' },
    h(
      'section',
      { class: 'card stack' },
      h('h2', {}, 'Summary'),
      h(
        'p',
        {},
        `${lanes.length} labels over ${formatMs(durationMs)}; ${shots.length} shots; ${texts.length} text readings.`,
      ),
      suggestion ? h('p', {}, 'Engine suggestion: ', h('strong', {}, suggestion.question)) : null,
      downloads,
    ),
    session.can('operator') ? marketForm({ analysisId: id, analysis, lanes, durationMs }) : null,
  );

  renderLanes();
  return h(
    'div',
    { class: 'grid two' },
    h(
      'div',
      { class: 'stack' },
      player,
      h(
        'section',
        { class: 'card' },
        h('h2', {}, 'Timeline'),
        filters,
        timeline,
        h(
          'p',
          { class: 'legend' },
          'Bars show where a label holds; darker means more confident. Select a bar to jump there.',
        ),
      ),
    ),
    side,
  );
}
