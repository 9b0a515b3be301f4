// Upload: drag and drop or pick a file, checked here before sending (the server checks
// again), upload progress with bytes and speed, then the analysis progress, live.

import { api, describeError, uploadFile } from '../api.js';
import { rememberClip } from '../clips.js';
import { h, replace, statusPill } from '../dom.js';
import { formatBytes } from '../format.js';
import { live } from '../live.js';

const EXTENSIONS = ['mp4', 'm4v', 'mov', 'avi', 'mkv', 'webm'];
// The server's default cap; a server configured lower answers 413 with its own limit,
// which the page shows.
const DEFAULT_MAX_MB = 100;

/** A reason the file cannot be sent, or null. */
export function checkFile(file, maxBytes) {
  const ext = (file.name.split('.').pop() || '').toLowerCase();
  const typeOk =
    !file.type || file.type.startsWith('video/') || file.type === 'application/octet-stream';
  if (!EXTENSIONS.includes(ext) || !typeOk) {
    return `“${file.name}” is not a video we can analyse. Choose an MP4, MOV, AVI, MKV or WebM file.`;
  }
  if (file.size === 0) return `“${file.name}” is empty.`;
  if (file.size > maxBytes) {
    return `“${file.name}” is ${formatBytes(file.size)}; the limit is ${formatBytes(maxBytes)}.`;
  }
  return null;
}

export async function renderUpload(main) {
  const maxBytes = DEFAULT_MAX_MB * 1024 * 1024;
  const cleanups = [];
  let abortUpload = null;
  let jobId = null;

  const input = h('input', {
    type: 'file',
    id: 'file-input',
    accept: EXTENSIONS.map((e) => `.${e}`).join(',') + ',video/*',
    class: 'sr-only',
    tabindex: -1,
    'aria-hidden': 'true',
  });
  const pick = h(
    'button',
    { type: 'button', class: 'primary', id: 'pick-file', onclick: () => input.click() },
    'Choose a video',
  );
  const limitHint = h(
    'p',
    { class: 'muted', id: 'upload-limits' },
    `MP4, MOV, AVI, MKV or WebM, up to ${formatBytes(maxBytes)}.`,
  );
  const zone = h(
    'div',
    { class: 'dropzone', id: 'dropzone' },
    h('p', {}, h('strong', {}, 'Drop a video here'), ' or'),
    pick,
    input,
    limitHint,
  );
  const hold = h('input', { type: 'checkbox', id: 'hold-input' });
  const holdField = h(
    'label',
    { class: 'row', for: 'hold-input' },
    hold,
    'Open markets on it before the engine looks (the analysis waits until a market locks' +
      ' or you start it)',
  );
  const error = h('div', { class: 'alert', role: 'alert', id: 'upload-error', hidden: true });
  const bar = h('span');
  const progress = h(
    'div',
    {
      class: 'progress',
      role: 'progressbar',
      'aria-valuemin': 0,
      'aria-valuemax': 100,
      'aria-valuenow': 0,
      'aria-labelledby': 'upload-phase',
    },
    bar,
  );
  const phase = h('h2', { id: 'upload-phase' }, 'Uploading');
  const detail = h('p', { class: 'muted num', id: 'upload-detail', 'aria-live': 'polite' });
  const status = h('span', { id: 'analysis-status' });
  const cancel = h('button', { type: 'button', class: 'danger', id: 'cancel-upload' }, 'Cancel');
  const resultLink = h(
    'a',
    { class: 'button primary', id: 'view-results', hidden: true },
    'View results',
  );
  const progressCard = h(
    'section',
    { class: 'card stack', id: 'progress-card', hidden: true, 'aria-labelledby': 'upload-phase' },
    h('div', { class: 'row spread' }, phase, status),
    progress,
    detail,
    h('div', { class: 'row' }, cancel, resultLink),
  );

  main.append(
    h('h1', {}, 'Upload footage'),
    h(
      'p',
      { class: 'muted' },
      'The engine finds what is in the clip, when and where, so markets can settle from the evidence.',
    ),
    h('section', { class: 'card stack' }, error, zone, holdField),
    progressCard,
  );

  function showError(text) {
    error.textContent = text;
    error.hidden = false;
  }

  function setProgress(percent, text) {
    const p = Math.max(0, Math.min(100, Math.round(percent)));
    bar.style.width = `${p}%`;
    progress.setAttribute('aria-valuenow', String(p));
    if (text !== undefined) detail.textContent = text;
  }

  async function start(file) {
    error.hidden = true;
    const problem = checkFile(file, maxBytes);
    if (problem) {
      showError(problem);
      return;
    }
    progressCard.hidden = false;
    shown = 'uploading';
    detail.classList.remove('error-text');
    resultLink.hidden = true;
    cancel.hidden = false;
    cancel.disabled = false;
    cancel.textContent = 'Cancel upload';
    phase.textContent = `Uploading ${file.name}`;
    replace(status, statusPill('uploading'));
    setProgress(0, `0 B of ${formatBytes(file.size)}`);
    const form = new FormData();
    form.append('file', file, file.name);
    let created;
    try {
      created = await uploadFile(hold.checked ? '/api/analyze?hold=true' : '/api/analyze', form, {
        signalAbort: (abort) => {
          abortUpload = abort;
        },
        onProgress: ({ loaded, total, bytesPerSecond }) => {
          setProgress(
            total ? (loaded / total) * 100 : 0,
            `${formatBytes(loaded)} of ${formatBytes(total || file.size)} · ${formatBytes(bytesPerSecond)}/s`,
          );
        },
      });
    } catch (err) {
      abortUpload = null;
      cancel.hidden = true;
      if (err.name === 'AbortError') {
        phase.textContent = 'Upload canceled';
        replace(status, statusPill('canceled'));
        return;
      }
      progressCard.hidden = true;
      showError(describeError(err));
      return;
    }
    abortUpload = null;
    jobId = created?.job_id;
    if (!jobId) {
      progressCard.hidden = true;
      showError('The server accepted the upload but did not say which analysis it started.');
      return;
    }
    rememberClip(jobId, file);
    cancel.textContent = 'Cancel analysis';
    phase.textContent = `Analysing ${file.name}`;
    resultLink.href = `#/analyses/${jobId}`;
    show({ status: created.status || 'queued', progress: 0 });
    follow(jobId);
  }

  // Events can arrive out of order (a late "queued" after "succeeded"): never step back.
  const RANK = {
    uploading: 0,
    held: 1,
    queued: 1,
    running: 2,
    succeeded: 3,
    failed: 3,
    canceled: 3,
  };
  let shown = 'uploading';

  function show(job) {
    const st = job.status || 'queued';
    if ((RANK[st] ?? 0) < RANK[shown] || (RANK[shown] === 3 && st !== shown)) return;
    shown = st;
    replace(status, statusPill(st));
    if (st !== 'held' && st !== 'succeeded') resultLink.hidden = true;
    const pct = Number(job.progress) || 0;
    if (st === 'held') {
      phase.textContent = 'Held for its markets';
      setProgress(0, 'Not analysed yet: open its markets first.');
      resultLink.textContent = 'Open markets on it';
      resultLink.hidden = false;
    } else if (st === 'queued') setProgress(0, 'Waiting for a worker…');
    else if (st === 'running')
      setProgress(pct, cancel.disabled ? 'Canceling…' : `Analysing: ${Math.round(pct)}%`);
    else if (st === 'succeeded') {
      setProgress(100, 'Analysis complete.');
      cancel.hidden = true;
      resultLink.hidden = false;
      resultLink.focus();
    } else if (st === 'failed') {
      cancel.hidden = true;
      const message = job.error?.message;
      detail.textContent = message ? `The analysis failed: ${message}` : 'The analysis failed.';
      detail.classList.add('error-text');
    } else if (st === 'canceled') {
      cancel.hidden = true;
      detail.textContent = 'The analysis was canceled.';
    }
  }

  function follow(id) {
    const refresh = async () => {
      const job = await api(`/api/analyses/${id}`);
      if (id === jobId) show(job);
    };
    cleanups.push(
      live.on('analysis.progress', (payload) => {
        if (String(payload.id) !== String(id)) return;
        show(payload);
        if (payload.status === 'succeeded' || payload.status === 'failed')
          refresh().catch(() => {});
      }),
    );
    cleanups.push(live.poll(refresh));
    // The job may have moved on before the socket subscription existed.
    refresh().catch(() => {});
  }

  cancel.addEventListener('click', async () => {
    if (abortUpload) {
      abortUpload();
      return;
    }
    if (!jobId) return;
    cancel.disabled = true;
    try {
      // A queued job is canceled at once; a running one stops at the engine's next sample,
      // and its "canceled" event follows.
      const state = await api(`/api/analyses/${jobId}`, { method: 'DELETE' });
      if (state.status === 'canceled') show(state);
      else detail.textContent = 'Canceling…';
    } catch (err) {
      cancel.disabled = false;
      showError(describeError(err));
    }
  });

  input.addEventListener('change', () => {
    if (input.files && input.files[0]) start(input.files[0]);
    input.value = '';
  });
  zone.addEventListener('dragover', (event) => {
    event.preventDefault();
    zone.classList.add('dragging');
  });
  zone.addEventListener('dragleave', () => zone.classList.remove('dragging'));
  zone.addEventListener('drop', (event) => {
    event.preventDefault();
    zone.classList.remove('dragging');
    const file = event.dataTransfer?.files?.[0];
    if (file) start(file);
  });

  return () => {
    for (const fn of cleanups) fn();
  };
}
