// Live streams (operators): the list with a form to add one, and a live page per stream:
// the latest analysed picture with its boxes (about twice a second), status, lag, gaps,
// a label ticker and a timeline of the last two minutes, all pushed over the WebSocket
// (stream.frame, stream.status, stream.labels) and polled while it is down.

import { api, describeError, listOf } from '../api.js';
import { field, h, replace, statusPill, toast } from '../dom.js';
import { formatDate } from '../format.js';
import { live } from '../live.js';
import { lagText, mergeEvents, tickerText, timelineBars } from '../streams_model.js';

const FRAME_MIN_MS = 450; // at most about two pictures a second
const TIMELINE_MS = 120_000;

export async function renderStreams(main) {
  main.append(h('h1', {}, 'Live streams'));
  const list = h(
    'div',
    { class: 'card', id: 'stream-list' },
    h('p', { class: 'muted' }, 'Loading…'),
  );
  main.append(createForm(), list);
  const refresh = async () => {
    try {
      const items = listOf(await api('/api/streams'));
      replace(
        list,
        items.length
          ? h(
              'ul',
              { class: 'plain' },
              items.map((s) =>
                h(
                  'li',
                  {},
                  h('a', { href: `#/streams/${s.id}` }, s.name),
                  ' ',
                  statusPill(s.status),
                  h('span', { class: 'muted' }, ` ${s.source_url}`),
                ),
              ),
            )
          : h('p', { class: 'muted' }, 'No streams yet.'),
      );
    } catch (err) {
      replace(list, h('p', { class: 'error' }, describeError(err)));
    }
  };
  await refresh();
  const off = live.on('stream.status', refresh);
  return off;
}

function createForm() {
  const name = h('input', { id: 'stream-name', required: true, maxlength: 200 });
  const url = h('input', {
    id: 'stream-url',
    required: true,
    placeholder:
      'https://…/live.m3u8, rtmp://…, rtsp://…, https://twitch.tv/NAME, replay:/media/clip.mp4',
  });
  const loop = h('input', { type: 'checkbox', id: 'stream-loop' });
  const error = h('p', { class: 'error', role: 'alert' });
  const form = h(
    'form',
    {
      class: 'card',
      id: 'stream-form',
      onsubmit: async (event) => {
        event.preventDefault();
        error.textContent = '';
        try {
          const made = await api('/api/streams', {
            method: 'POST',
            body: {
              name: name.value,
              source_url: url.value,
              options: { loop: loop.checked },
              start: true,
            },
          });
          location.hash = `#/streams/${made.id}`;
        } catch (err) {
          error.textContent = describeError(err);
        }
      },
    },
    h('h2', {}, 'Follow a stream'),
    field('Name', name),
    field(
      'Source URL',
      url,
      'HLS, RTMP, RTSP, SRT, MPEG-TS over HTTP, Twitch, Kinesis Video, or replay: a file',
    ),
    h('label', {}, loop, ' Loop a replayed file'),
    h('button', { type: 'submit', class: 'primary' }, 'Start following'),
    error,
  );
  return form;
}

export async function renderStream(main, id) {
  let stream;
  try {
    stream = await api(`/api/streams/${id}`);
  } catch (err) {
    main.append(h('div', { class: 'card' }, h('p', { class: 'error' }, describeError(err))));
    return null;
  }
  const sid = stream.id;
  const img = h('img', { id: 'stream-frame', alt: 'The latest analysed picture, with its boxes' });
  const status = h('span', { id: 'stream-status' });
  const reason = h('span', { id: 'stream-reason', class: 'muted' });
  const lag = h('span', { id: 'stream-lag' });
  const gaps = h('ul', { id: 'stream-gaps', class: 'plain muted' });
  const ticker = h('ol', { id: 'stream-ticker', class: 'ticker', 'aria-live': 'polite' });
  const timeline = h('div', { id: 'stream-timeline', class: 'live-timeline' });
  const startStop = h('button', { type: 'button', id: 'stream-toggle' });
  let events = mergeEvents([], stream.events || []);
  let frameUrl = null;
  let frameAt = 0;
  let framePending = false;

  const showStatus = (s) => {
    replace(status, statusPill(s.status));
    reason.textContent = s.status_reason || s.reason ? ` ${s.status_reason || s.reason}` : '';
    lag.textContent = lagText(s.lag_ms);
    const running = ['starting', 'live', 'stalled', 'reconnecting'].includes(s.status);
    startStop.textContent = running ? 'Stop' : 'Start';
    startStop.dataset.action = running ? 'stop' : 'start';
  };
  const showGaps = (s) =>
    replace(
      gaps,
      (s.gaps || []).map((g) =>
        h('li', {}, `Gap ${formatDate(g.from_ms)} – ${formatDate(g.until_ms)}: ${g.reason}`),
      ),
    );
  const showEvents = () => {
    replace(
      ticker,
      events.map((e) => h('li', { dataset: { kind: e.kind, label: e.label } }, tickerText(e))),
    );
    const until = Date.now();
    replace(
      timeline,
      timelineBars(events, until - TIMELINE_MS, until).map((row) =>
        h(
          'div',
          { class: 'live-row' },
          h('span', { class: 'live-label' }, row.label),
          h(
            'span',
            { class: 'live-track' },
            row.bars.map((b) =>
              h('span', {
                class: 'live-bar',
                style: {
                  left: `${(b.left * 100).toFixed(2)}%`,
                  width: `${(b.width * 100).toFixed(2)}%`,
                },
              }),
            ),
          ),
        ),
      ),
    );
  };
  const loadFrame = async () => {
    if (framePending || Date.now() - frameAt < FRAME_MIN_MS) return;
    framePending = true;
    frameAt = Date.now();
    try {
      const response = await api(`/api/streams/${sid}/frame`, { raw: true });
      const url = URL.createObjectURL(await response.blob());
      img.src = url;
      img.dataset.ms = response.headers.get('X-Frame-Ms') || '';
      if (frameUrl) URL.revokeObjectURL(frameUrl);
      frameUrl = url;
    } catch {
      // no picture yet, or the stream is down: the status says which
    } finally {
      framePending = false;
    }
  };
  const reload = async () => {
    stream = await api(`/api/streams/${sid}`);
    showStatus(stream);
    showGaps(stream);
    events = mergeEvents(events, stream.events || []);
    showEvents();
    if (stream.coverage.length) loadFrame(); // a picture has been analysed: there is one
  };
  startStop.addEventListener('click', async () => {
    try {
      await api(`/api/streams/${sid}/${startStop.dataset.action}`, { method: 'POST' });
      await reload();
    } catch (err) {
      toast(describeError(err), 'error');
    }
  });

  main.append(
    h('div', { class: 'row spread' }, h('h1', {}, stream.name), startStop),
    h('p', {}, h('a', { href: `#/live/${sid}`, id: 'stream-markets' }, 'Markets on this stream')),
    h('p', {}, status, reason, ' · ', lag),
    h(
      'div',
      { class: 'live-grid' },
      h('div', { class: 'player' }, img),
      h('div', { class: 'card' }, h('h2', {}, 'Labels'), ticker),
    ),
    h('div', { class: 'card' }, h('h2', {}, 'Last two minutes'), timeline, gaps),
  );
  showStatus(stream);
  showGaps(stream);
  showEvents();
  if (stream.coverage.length) loadFrame();

  const offs = [
    live.on('stream.frame', (p) => p.stream_id === sid && loadFrame()),
    live.on('stream.status', (p) => {
      if (p.stream_id !== sid) return;
      showStatus({ ...stream, ...p, status_reason: p.reason });
      if (p.status === 'live' || p.status === 'reconnecting') reload().catch(() => {});
    }),
    live.on('stream.labels', (p) => {
      if (p.stream_id !== sid) return;
      events = mergeEvents(events, p.events || []);
      showEvents();
    }),
    live.poll(reload),
  ];
  const tick = setInterval(showEvents, 1000); // the timeline scrolls with the clock
  return () => {
    clearInterval(tick);
    for (const off of offs) off();
    if (frameUrl) URL.revokeObjectURL(frameUrl);
  };
}
