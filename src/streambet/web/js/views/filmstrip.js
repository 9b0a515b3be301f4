// Stored evidence frames as a filmstrip: what a reopened analysis shows when this browser no
// longer holds the clip (and the server keeps no video). Each still carries the boxes of its
// own moment, drawn over its picture only: a frame without a picture gets no box.

import { api } from '../api.js';
import { h } from '../dom.js';
import { formatMs, formatPercent } from '../format.js';
import { frameAt } from '../results.js';

function boxesOver(frame) {
  if (!frame) return [];
  return frame.labels.flatMap((l) =>
    l.boxes.map((b) =>
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
        h('span', {}, `${l.name} ${formatPercent(b.confidence)}`),
      ),
    ),
  );
}

/**
 * The filmstrip of analysis `id`: one figure per stored frame, each with the labels seen
 * then; `model` is the results model (frames with labels and boxes); `onPick(ms)` runs when
 * a still is chosen (the timeline's playhead follows).
 */
export function filmstrip(id, model, onPick) {
  const strip = h(
    'ol',
    { class: 'filmstrip', id: 'filmstrip', 'aria-label': 'Stored evidence frames' },
    h('li', { class: 'muted' }, 'Loading the stored frames…'),
  );
  const base = `/api/analyses/${encodeURIComponent(id)}/frames`;
  (async () => {
    let times = [];
    try {
      times = (await api(base)).frames;
    } catch {
      times = [];
    }
    if (!times.length) {
      strip.replaceChildren(h('li', { class: 'muted' }, 'No frames were stored for this clip.'));
      strip.dataset.loaded = 'true';
      return;
    }
    strip.replaceChildren();
    for (const ms of times) {
      const frame = frameAt(model.frames, ms + 1, model.interval * 1.5);
      const names = frame ? frame.labels.map((l) => l.name) : [];
      const still = h('div', { class: 'still' });
      strip.append(
        h(
          'li',
          {},
          h(
            'button',
            {
              type: 'button',
              class: 'film-frame',
              dataset: { ms },
              'aria-label': `Frame at ${formatMs(ms)}${names.length ? `: ${names.join(', ')}` : ''}`,
              onclick: () => onPick(ms),
            },
            still,
            h('span', { class: 'film-caption' }, formatMs(ms)),
          ),
        ),
      );
      try {
        const response = await api(`${base}/${ms}`, { raw: true });
        const url = URL.createObjectURL(await response.blob());
        const img = h('img', { src: url, alt: '' });
        img.addEventListener('load', () => URL.revokeObjectURL(url), { once: true });
        // Boxes only once there is a picture under them.
        still.append(img, ...boxesOver(frame));
      } catch {
        still.append(h('span', { class: 'muted' }, 'No picture'));
      }
    }
    strip.dataset.loaded = 'true';
  })();
  return h(
    'section',
    { class: 'card stack', 'aria-labelledby': 'filmstrip-title' },
    h('h2', { id: 'filmstrip-title' }, 'Evidence frames'),
    h(
      'p',
      { class: 'muted' },
      'The stills the engine kept when it ran (the clip itself is not kept). Select one to' +
        ' move the timeline there.',
    ),
    strip,
  );
}

/** The kept upload as an object URL the player can play (it needs the bearer token, which
 * a video element cannot send), or null. */
export async function keptVideoUrl(id) {
  try {
    const response = await api(`/api/analyses/${encodeURIComponent(id)}/video`, { raw: true });
    return URL.createObjectURL(await response.blob());
  } catch {
    return null;
  }
}
