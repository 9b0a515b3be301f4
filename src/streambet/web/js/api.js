// The one way the page talks to the API: bearer token, JSON, and the error envelope
// {"error": {code, message, details}} turned into sentences a person can act on.

const TOKEN_KEY = 'streambet.token';

export class ApiError extends Error {
  constructor(status, code, message, details) {
    super(message);
    this.status = status;
    this.code = code;
    this.details = details;
  }
}

const FALLBACK = {
  400: 'That request was not accepted. Check the fields and try again.',
  401: 'Please log in to continue.',
  403: 'Your account is not allowed to do that.',
  404: 'That item no longer exists.',
  409: 'That conflicts with the current state. Refresh and try again.',
  413: 'That file is too large.',
  415: 'That file type is not supported.',
  429: 'Too many requests. Wait a moment and try again.',
  500: 'Something went wrong on our side. Please try again.',
  503: 'StreamBet is temporarily unavailable. Please try again shortly.',
};

/** A sentence for people from any error: envelope message plus per-field problems. */
export function describeError(error) {
  if (!(error instanceof ApiError)) {
    return 'Could not reach StreamBet. Check your connection and try again.';
  }
  let text = error.message;
  if (Array.isArray(error.details) && error.details.length) {
    const parts = error.details
      .filter((d) => d && (d.problem || d.message))
      .map((d) =>
        d.field ? `${humanField(d.field)}: ${d.problem || d.message}` : d.problem || d.message,
      );
    if (parts.length) text = `${text} ${parts.join('; ')}.`;
  }
  return text;
}

function humanField(name) {
  const last = String(name).split('.').pop();
  return last.charAt(0).toUpperCase() + last.slice(1).replace(/_/g, ' ');
}

export function getToken() {
  return localStorage.getItem(TOKEN_KEY);
}

export function setToken(token) {
  if (token) localStorage.setItem(TOKEN_KEY, token);
  else localStorage.removeItem(TOKEN_KEY);
}

export async function errorFromResponse(response) {
  let body = null;
  try {
    body = await response.json();
  } catch {
    body = null;
  }
  const env =
    body && typeof body === 'object' && body.error && typeof body.error === 'object'
      ? body.error
      : {};
  const message =
    typeof env.message === 'string' && env.message.trim()
      ? env.message
      : FALLBACK[response.status] ||
        FALLBACK[Math.floor(response.status / 100) * 100] ||
        FALLBACK[500];
  return new ApiError(response.status, env.code || 'error', message, env.details ?? null);
}

let onUnauthorized = () => {};
export function setUnauthorizedHandler(fn) {
  onUnauthorized = fn;
}

export async function api(path, { method = 'GET', body, headers = {}, signal, raw = false } = {}) {
  const init = { method, headers: { Accept: 'application/json', ...headers }, signal };
  const token = getToken();
  if (token) init.headers.Authorization = `Bearer ${token}`;
  if (body instanceof FormData) {
    init.body = body;
  } else if (body !== undefined) {
    init.headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(path, init);
  } catch (err) {
    if (err && err.name === 'AbortError') throw err;
    throw new Error('network');
  }
  if (!response.ok) {
    const error = await errorFromResponse(response);
    if (response.status === 401 && token) onUnauthorized(error);
    throw error;
  }
  if (raw) return response;
  if (response.status === 204) return null;
  const type = response.headers.get('Content-Type') || '';
  return type.includes('json') ? response.json() : response.text();
}

/** Lists come as {items: [...]}. */
export function listOf(payload) {
  return Array.isArray(payload?.items) ? payload.items : [];
}

/**
 * Upload with XMLHttpRequest: fetch cannot report upload progress. `onProgress` gets
 * {loaded, total, bytesPerSecond}. Resolves with the JSON body; rejects with ApiError.
 */
export function uploadFile(path, formData, { onProgress, signalAbort } = {}) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', path);
    xhr.setRequestHeader('Accept', 'application/json');
    const token = getToken();
    if (token) xhr.setRequestHeader('Authorization', `Bearer ${token}`);
    const started = performance.now();
    xhr.upload.addEventListener('progress', (event) => {
      const seconds = Math.max((performance.now() - started) / 1000, 0.001);
      onProgress?.({
        loaded: event.loaded,
        total: event.lengthComputable ? event.total : 0,
        bytesPerSecond: event.loaded / seconds,
      });
    });
    xhr.addEventListener('load', async () => {
      const response = new Response(xhr.responseText || null, {
        status: xhr.status,
        headers: { 'Content-Type': xhr.getResponseHeader('Content-Type') || 'application/json' },
      });
      if (xhr.status >= 200 && xhr.status < 300) {
        try {
          resolve(JSON.parse(xhr.responseText));
        } catch {
          resolve(null);
        }
      } else {
        reject(await errorFromResponse(response));
      }
    });
    xhr.addEventListener('error', () => reject(new Error('network')));
    xhr.addEventListener('abort', () => reject(new DOMException('Upload canceled', 'AbortError')));
    signalAbort?.(() => xhr.abort());
    xhr.send(formData);
  });
}
