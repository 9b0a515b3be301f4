// One WebSocket per page (/api/ws) carrying analysis progress, odds, market status, the
// user's own payments and their live streams' status, pictures and labels.
// It reconnects by itself with backoff; while it is down, views' poll functions run instead.

import { getToken } from './api.js';

const TOPICS = [
  'analysis.progress',
  'market.odds',
  'market.status',
  'payment.status',
  'stream.status',
  'stream.labels',
  'stream.frame',
  'wager.held',
];
const POLL_MS = 2000;
// The close code a stopping node says goodbye with (server: api/sockets/hub.py).
const SERVICE_RESTART = 1012;

class Live {
  constructor() {
    this.handlers = new Map(TOPICS.map((t) => [t, new Set()]));
    this.pollers = new Set();
    this.socket = null;
    this.state = 'connecting';
    this.failures = 0;
    this.pollTimer = null;
    this.stateListeners = new Set();
  }

  start() {
    this.connect();
  }

  connect() {
    const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
    let socket;
    try {
      socket = new WebSocket(`${scheme}://${location.host}/api/ws`);
    } catch {
      this.scheduleReconnect();
      return;
    }
    this.socket = socket;
    socket.addEventListener('open', () => {
      this.failures = 0;
      this.authenticate();
    });
    socket.addEventListener('message', (event) => this.dispatch(event.data));
    socket.addEventListener('close', (event) => {
      if (this.socket === socket) {
        this.socket = null;
        if (event.code === SERVICE_RESTART) {
          // a node stopping behind the load balancer: another answers now, no backoff
          this.connect();
        } else {
          this.scheduleReconnect();
        }
      }
    });
    // 'error' is always followed by 'close'; nothing else to do here.
  }

  /** Sends the bearer token so the socket may carry analysis progress (operators, admins). */
  authenticate() {
    if (this.socket && this.socket.readyState === WebSocket.OPEN) {
      this.socket.send(JSON.stringify({ type: 'auth', token: getToken() || '' }));
    }
  }

  scheduleReconnect() {
    this.failures += 1;
    this.setState(this.failures >= 2 ? 'polling' : 'reconnecting');
    const delay =
      Math.min(30000, 500 * 2 ** Math.min(this.failures, 6)) * (0.75 + Math.random() / 2);
    setTimeout(() => this.connect(), delay);
  }

  setState(state) {
    this.state = state;
    if (state === 'live') {
      clearInterval(this.pollTimer);
      this.pollTimer = null;
    } else if (!this.pollTimer) {
      this.pollTimer = setInterval(() => this.runPollers(), POLL_MS);
    }
    for (const fn of this.stateListeners) fn(state);
  }

  onState(fn) {
    this.stateListeners.add(fn);
    fn(this.state);
  }

  dispatch(text) {
    let message;
    try {
      message = JSON.parse(text);
    } catch {
      return;
    }
    if (message && message.topic === 'hello') {
      // The server is subscribed: from here on nothing is missed. One tick of every
      // poller catches up on whatever changed before (or while the socket was down).
      this.setState('live');
      this.runPollers();
      return;
    }
    const handlers = this.handlers.get(message && message.topic);
    if (!handlers) return;
    for (const fn of handlers) {
      try {
        fn(message.payload || {});
      } catch (err) {
        console.warn('live handler failed', err);
      }
    }
  }

  /** Subscribe to a topic; returns the function that unsubscribes. */
  on(topic, fn) {
    this.handlers.get(topic).add(fn);
    return () => this.handlers.get(topic).delete(fn);
  }

  /** Register a refresh used while the socket is down; returns the function that removes it. */
  poll(fn) {
    this.pollers.add(fn);
    return () => this.pollers.delete(fn);
  }

  runPollers() {
    for (const fn of this.pollers) {
      Promise.resolve()
        .then(fn)
        .catch(() => {});
    }
  }
}

export const live = new Live();
