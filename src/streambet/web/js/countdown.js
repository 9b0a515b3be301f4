// Live countdowns: any element with data-countdown-until (ms since the epoch) shows the
// time left, refreshed every second, and its data-countdown-done text once it has passed.

import { formatCountdown } from './format.js';

function tick(root) {
  for (const el of root.querySelectorAll('[data-countdown-until]')) {
    const left = formatCountdown(Number(el.dataset.countdownUntil));
    el.textContent = left ?? el.dataset.countdownDone ?? 'now';
  }
}

/** Starts refreshing the countdowns under `root`; returns the function that stops it. */
export function startCountdowns(root) {
  tick(root);
  const timer = setInterval(() => tick(root), 1000);
  return () => clearInterval(timer);
}
