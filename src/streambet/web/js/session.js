// Who is logged in, their role and balance. Views read it; the header re-renders on change.

import { api, getToken, setToken } from './api.js';
import { live } from './live.js';

const RANK = { bettor: 0, operator: 1, admin: 2 };
const listeners = new Set();

export const session = {
  user: null, // {id, email, display_name, role}
  balance: null, // minor units, or null when unknown

  get loggedIn() {
    return Boolean(this.user);
  },

  can(role) {
    return Boolean(this.user) && RANK[this.user.role] >= RANK[role];
  },

  onChange(fn) {
    listeners.add(fn);
  },

  changed() {
    for (const fn of listeners) fn(this);
  },

  async begin(token, user) {
    setToken(token);
    live.authenticate();
    this.user = user;
    await this.refresh();
  },

  /** Reads /api/me: who, which role, and the balance. */
  async refresh() {
    if (!getToken()) {
      this.user = null;
      this.balance = null;
      this.changed();
      return;
    }
    try {
      const me = await api('/api/me');
      this.user = pick(me, ['id', 'email', 'display_name', 'role']);
      this.balance = typeof me.balance === 'number' ? me.balance : null;
    } catch (err) {
      if (err.status === 401) {
        setToken(null);
        this.user = null;
        this.balance = null;
      }
    }
    this.changed();
  },

  async end() {
    try {
      if (getToken()) await api('/api/auth/logout', { method: 'POST' });
    } catch {
      // The token is forgotten either way.
    }
    setToken(null);
    live.authenticate();
    this.user = null;
    this.balance = null;
    this.changed();
  },
};

function pick(obj, keys) {
  const out = {};
  for (const key of keys) if (obj && obj[key] !== undefined) out[key] = obj[key];
  return out;
}
