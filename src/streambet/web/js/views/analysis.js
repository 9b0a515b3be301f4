// Analyses: the operator's list, and one analysis: its progress until it is done, then its
// results (views/analysis_results.js). The page reads the analysis once, as the engine-
// neutral timeline (?format=timeline), and draws everything from it; the other formats are
// fetched only for a download.

import { api, describeError, listOf } from '../api.js';
import { clipUrl } from '../clips.js';
import { h, replace, statusPill } from '../dom.js';
import { formatDate, formatPercent } from '../format.js';
import { live } from '../live.js';
import { resultOf, resultsModel } from '../results.js';
import { session } from '../session.js';
import { resultsView } from './analysis_results.js';
import { keptVideoUrl } from './filmstrip.js';
import { marketForm } from './market_form.js';

export async function renderAnalyses(main) {
  main.append(
    h(
      'div',
      { class: 'row spread' },
      h('h1', {}, 'Analyses'),
      h('a', { class: 'button primary', href: '#/upload' }, 'Upload footage'),
    ),
  );
  const box = h('div', { class: 'card' }, h('p', { class: 'muted' }, 'Loading…'));
  main.append(box);
  try {
    const items = listOf(await api('/api/analyses'));
    if (!items.length) {
      replace(
        box,
        h(
          'p',
          {},
          'No analyses yet. ',
          h('a', { href: '#/upload' }, 'Upload a clip'),
          ' to start.',
        ),
      );
      return;
    }
    replace(
      box,
      h(
        'div',
        { class: 'table-wrap' },
        h(
          'table',
          {},
          h(
            'thead',
            {},
            h(
              'tr',
              {},
              h('th', {}, 'File'),
              h('th', {}, 'Status'),
              h('th', {}, 'Progress'),
              h('th', {}, 'Created'),
            ),
          ),
          h(
            'tbody',
            {},
            items.map((a) =>
              h(
                'tr',
                {},
                h('td', {}, h('a', { href: `#/analyses/${a.id}` }, a.file_name)),
                h('td', {}, statusPill(a.status)),
                h('td', { class: 'num' }, formatPercent(a.progress)),
                h('td', {}, formatDate(a.created_at)),
              ),
            ),
          ),
        ),
      ),
    );
  } catch (err) {
    replace(box, h('p', { class: 'error-text', role: 'alert' }, describeError(err)));
  }
}

export async function renderAnalysis(main, id) {
  const cleanups = [];
  const head = h(
    'div',
    { class: 'row spread' },
    h('h1', { id: 'analysis-title' }, 'Analysis'),
    h('span', { id: 'analysis-status' }),
  );
  const body = h('div', { id: 'analysis-body' }, h('p', { class: 'muted' }, 'Loading…'));
  main.append(head, body);

  let job;
  try {
    job = await api(timelineUrl(id));
  } catch (err) {
    replace(body, h('p', { class: 'alert', role: 'alert' }, describeError(err)));
    return undefined;
  }
  head.firstChild.textContent = `Analysis of ${job.file_name}`;

  const waitForIt = () => {
    replace(head.lastChild, statusPill(job.status));
    if (job.status === 'succeeded') {
      showResults();
      return;
    }
    if (job.status === 'failed' || job.status === 'canceled') {
      const message = job.error?.message;
      replace(
        body,
        h(
          'p',
          { class: 'alert', role: 'alert' },
          job.status === 'failed'
            ? `The analysis failed${message ? `: ${message}` : '.'}`
            : 'The analysis was canceled.',
        ),
      );
      return;
    }
    if (job.status === 'held') {
      showHeld();
      return;
    }
    const pct = Math.round(Number(job.progress) || 0);
    replace(
      body,
      h(
        'div',
        { class: 'card stack' },
        h('p', {}, job.status === 'queued' ? 'Waiting for a worker…' : `Analysing: ${pct}%`),
        h(
          'div',
          {
            class: 'progress',
            role: 'progressbar',
            'aria-label': 'Analysis progress',
            'aria-valuemin': 0,
            'aria-valuemax': 100,
            'aria-valuenow': pct,
          },
          h('span', { style: { width: `${pct}%` } }),
        ),
      ),
    );
  };
  const refresh = async () => {
    if (job.status === 'succeeded') return;
    const fresh = await api(timelineUrl(id));
    if (job.status === 'succeeded') return; // a poll and an event raced: one shows the results
    job = fresh;
    waitForIt();
  };
  if (job.status !== 'succeeded') {
    cleanups.push(
      live.on('analysis.progress', (p) => {
        if (String(p.id) !== String(id) || job.status === 'succeeded') return;
        if (p.status === 'succeeded' || p.status === 'failed') refresh().catch(() => {});
        else if (p.status === 'running' || job.status === 'queued' || job.status === 'held') {
          job = { ...job, ...p };
          waitForIt();
        }
      }),
    );
    cleanups.push(live.poll(refresh));
  }
  waitForIt();

  // Held for its markets: the engine has not looked yet, so markets opened now are fair;
  // it looks once the operator starts it or one of its markets locks.
  function showHeld() {
    const startButton = h(
      'button',
      { type: 'button', class: 'primary', id: 'start-analysis' },
      'Start the analysis now',
    );
    const startError = h('p', { class: 'error-text', role: 'alert', hidden: true });
    startButton.addEventListener('click', async () => {
      startButton.disabled = true;
      try {
        job = { ...job, ...(await api(`/api/analyses/${id}/start`, { method: 'POST' })) };
        waitForIt();
      } catch (err) {
        startButton.disabled = false;
        startError.textContent = describeError(err);
        startError.hidden = false;
      }
    });
    replace(
      body,
      h(
        'div',
        { class: 'stack' },
        h(
          'div',
          { class: 'card stack', id: 'held-notice' },
          h(
            'p',
            {},
            'Held for betting: the engine has not looked at this clip yet. Open its markets' +
              ' now; it is analysed when one of them locks, or when you start it. Bettors' +
              ' see its evidence once all its markets have locked.',
          ),
          session.can('operator') ? h('div', { class: 'row' }, startButton) : null,
          startError,
        ),
        session.can('operator')
          ? marketForm({
              analysisId: id,
              analysis: job,
              lanes: [],
              durationMs: job.video?.duration_ms || 0,
            })
          : null,
      ),
    );
  }

  // The response that reported success carries the timeline: nothing more to fetch.
  async function showResults() {
    const timeline = resultOf(job);
    const model = resultsModel(timeline, job.video?.duration_ms);
    // The clip this page holds, else the upload the server kept (when it keeps them).
    let videoUrl = clipUrl(id);
    if (!videoUrl && job.video_kept) {
      videoUrl = await keptVideoUrl(id);
      if (videoUrl) cleanups.push(() => URL.revokeObjectURL(videoUrl));
    }
    replace(body, resultsView({ id, analysis: job, model, cleanups, videoUrl }));
  }

  return () => cleanups.forEach((fn) => fn());
}

/** One analysis with its timeline: the status, the polls and the results all read this. */
function timelineUrl(id) {
  return `/api/analyses/${encodeURIComponent(id)}?format=timeline`;
}
