// Live countdowns: any element with data-countdown-until (ms since the epoch) shows the
// time left, refreshed every second, and its data-countdown-done text once it has passed.

import { formatCountdown } from './format.js';

function tick(root, onExpire) {
  let expired = false;
  for (const el of root.querySelectorAll('[data-countdown-until]')) {
    const left = formatCountdown(Number(el.dataset.countdownUntil));
    el.textContent = left ?? el.dataset.countdownDone ?? 'now';
    // Only a deadline seen running out on this page counts (one drawn already past would
    // ask for a redraw every second).
    if (left !== null) el.dataset.countdownRunning = 'true';
    else if (el.dataset.countdownRunning) {
      delete el.dataset.countdownRunning;
      expired = true;
    }
  }
  if (expired) onExpire?.();
}

/** Starts refreshing the countdowns under `root`; `onExpire()` runs when one runs out
 * while shown (the page redraws what the deadline changes: the dispute form goes).
 * Returns the function that stops it. */
export function startCountdowns(root, onExpire = null) {
  tick(root, onExpire);
  const timer = setInterval(() => tick(root, onExpire), 1000);
  return () => clearInterval(timer);
}
