// Evidence frames: the decisive moments with the detected boxes on top. The pictures are
// the frames the server stored when the analysis ran (they outlive the deleted upload);
// a browser that still holds the clip draws from it instead, at full resolution.

import { api } from './api.js';
import { clipUrl, setClipFile } from './clips.js';
import { field, h } from './dom.js';
import { formatMs, formatPercent } from './format.js';

export function evidenceItems(settlement) {
  const items = [];
  for (const outcome of settlement?.evidence?.outcomes || []) {
    for (const d of outcome.detections || []) items.push({ ...d, outcome_id: outcome.outcome_id });
  }
  // One frame per timestamp, boxes of every detection there together.
  const byTime = new Map();
  for (const d of items) {
    const t = Number(d.timestamp_ms);
    if (!byTime.has(t)) byTime.set(t, { t, detections: [] });
    byTime.get(t).detections.push(d);
  }
  return [...byTime.values()].sort((a, b) => a.t - b.t);
}

/** A frame's strongest detection, for choosing the best few. */
function strength(frame) {
  return Math.max(0, ...frame.detections.map((d) => Number(d.confidence) || 0));
}

/** The `limit` strongest frames, in time order, and the others (also in time order). */
export function bestFrames(frames, limit) {
  const ranked = [...frames].sort((a, b) => strength(b) - strength(a) || a.t - b.t);
  const best = new Set(ranked.slice(0, limit));
  return {
    best: frames.filter((f) => best.has(f)),
    rest: frames.filter((f) => !best.has(f)),
  };
}

/**
 * The decisive frames: from the clip when this browser has it (it uploaded it, or a local
 * copy is picked here), otherwise the evidence frames the server stored for the analysis.
 * The best few show at once (near-identical frames would fill a phone screen); the rest
 * on demand.
 */
export function evidenceGrid(frames, analysisId, { limit = 3 } = {}) {
  if (!frames.length) return h('p', { class: 'muted' }, 'No detections were recorded as evidence.');
  const { best, rest } = bestFrames(frames, limit);
  const grid = h('div', { class: 'evidence', id: 'evidence' });
  let shown = [];
  // A newer drawing (a local copy was just picked) supersedes one still in progress.
  let generation = 0;
  const draw = () => {
    const mine = ++generation;
    delete grid.dataset.drawn;
    const current = () => mine === generation;
    const canvases = [...grid.querySelectorAll('canvas')];
    drawAll(shown, canvases, analysisId, current).finally(() => {
      if (current()) grid.dataset.drawn = 'true';
    });
  };
  const show = (list) => {
    shown = list;
    grid.replaceChildren(
      ...list.map((f) =>
        h(
          'figure',
          {},
          h(
            'div',
            { class: 'frame' },
            h('canvas', { width: 320, height: 180, role: 'img', 'aria-label': describe(f) }),
          ),
          h('figcaption', {}, h('strong', {}, formatMs(f.t)), ' · ', describe(f)),
        ),
      ),
    );
    draw();
  };
  show(best);
  const more = rest.length
    ? h(
        'button',
        {
          type: 'button',
          class: 'link',
          id: 'evidence-more',
          onclick: (event) => {
            event.currentTarget.remove();
            show(frames);
          },
        },
        `Show ${rest.length} more frame${rest.length === 1 ? '' : 's'}`,
      )
    : null;
  if (!analysisId || clipUrl(analysisId)) return h('div', { class: 'stack' }, grid, more);
  const pick = h('input', { type: 'file', accept: 'video/*' });
  pick.addEventListener('change', () => {
    if (!pick.files?.[0]) return;
    setClipFile(analysisId, pick.files[0]);
    draw();
  });
  return h(
    'div',
    { class: 'stack' },
    grid,
    more,
    h(
      'details',
      {},
      h('summary', { class: 'muted' }, 'Have the clip? Draw these at full resolution'),
      field(
        'Show the pictures from a local copy of the clip',
        pick,
        'The stored evidence frames are small; the clip gives full resolution.',
      ),
    ),
  );
}

/** The times of the analysis's stored frames (asked once per grid drawing): a frame is
 * only fetched when one was stored, so nothing is asked for in vain. */
async function storedTimes(analysisId) {
  try {
    const { frames } = await api(`/api/analyses/${encodeURIComponent(analysisId)}/frames`);
    return frames;
  } catch {
    return [];
  }
}

/** The stored evidence frame nearest `ms`, as a drawable bitmap, or null. */
async function storedFrame(analysisId, ms) {
  try {
    const response = await api(
      `/api/analyses/${encodeURIComponent(analysisId)}/frames/${Math.round(ms)}`,
      { raw: true },
    );
    return await createImageBitmap(await response.blob());
  } catch {
    return null; // no stored frame: the canvas says so, and draws no box over nothing
  }
}

function describe(f) {
  return f.detections
    .map((d) => `${d.detected || d.label} ${formatPercent(d.confidence)}`)
    .join(', ');
}

async function drawAll(frames, canvases, analysisId, current) {
  const videoUrl = analysisId ? clipUrl(analysisId) : null;
  let video = null;
  if (videoUrl) {
    video = document.createElement('video');
    video.muted = true;
    video.preload = 'auto';
    video.src = videoUrl;
    const ok = await new Promise((resolve) => {
      video.addEventListener('loadeddata', () => resolve(true), { once: true });
      video.addEventListener('error', () => resolve(false), { once: true });
    });
    if (!ok) video = null;
  }
  const stored = !video && analysisId ? await storedTimes(analysisId) : [];
  for (let i = 0; i < frames.length; i += 1) {
    if (!current()) return;
    const canvas = canvases[i];
    const ctx = canvas.getContext('2d');
    ctx.fillStyle = '#05070a';
    ctx.fillRect(0, 0, canvas.width, canvas.height);
    if (video) {
      await seek(video, frames[i].t / 1000);
      if (!current()) return;
      drawFitted(ctx, canvas, video, video.videoWidth, video.videoHeight, frames[i]);
    } else {
      const picture = stored.length ? await storedFrame(analysisId, frames[i].t) : null;
      if (!current()) return;
      if (picture) {
        drawFitted(ctx, canvas, picture, picture.width, picture.height, frames[i]);
        picture.close();
      } else {
        // No picture: a box over black would claim a place in nothing; say so instead.
        noPicture(ctx, canvas);
      }
    }
  }
  video?.removeAttribute('src'); // lets the browser drop the decoder
}

function noPicture(ctx, canvas) {
  ctx.fillStyle = '#a3adbd';
  ctx.font = '13px system-ui, sans-serif';
  ctx.textAlign = 'center';
  ctx.fillText('No picture stored for this moment', canvas.width / 2, canvas.height / 2);
  ctx.textAlign = 'start';
  canvas.dataset.picture = 'none';
}

/** Letterboxes a picture into the canvas and draws the frame's boxes over it. */
function drawFitted(ctx, canvas, source, width, height, frame) {
  const scale = Math.min(canvas.width / width, canvas.height / height);
  const w = width * scale;
  const hh = height * scale;
  const x = (canvas.width - w) / 2;
  const y = (canvas.height - hh) / 2;
  ctx.drawImage(source, x, y, w, hh);
  drawBoxes(ctx, frame, x, y, w, hh);
}

function seek(video, seconds) {
  return new Promise((resolve) => {
    video.addEventListener('seeked', resolve, { once: true });
    video.currentTime = Math.min(seconds, Math.max(0, (video.duration || seconds) - 0.01));
  });
}

function drawBoxes(ctx, frame, x, y, w, hh) {
  ctx.lineWidth = 2;
  ctx.font = 'bold 11px system-ui, sans-serif';
  for (const d of frame.detections) {
    for (const b of d.boxes || []) {
      const bx = x + b.left * w;
      const by = y + b.top * hh;
      ctx.strokeStyle = '#2ee59d';
      ctx.strokeRect(bx, by, b.width * w, b.height * hh);
      const text = `${d.detected || d.label} ${Math.round(d.confidence)}%`;
      ctx.fillStyle = '#2ee59d';
      ctx.fillRect(bx, Math.max(0, by - 14), ctx.measureText(text).width + 6, 14);
      ctx.fillStyle = '#04140d';
      ctx.fillText(text, bx + 3, Math.max(11, by - 3));
    }
  }
}
