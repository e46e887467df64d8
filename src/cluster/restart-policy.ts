/** A worker that lived at least this long was healthy: its death starts the count of quick deaths anew. */
export const STABLE_AFTER_MS = 30_000;
const FIRST_DELAY_MS = 250;
const MAX_DELAY_MS = 30_000;

/**
 * Quick deaths in a row after a worker died `livedMs` after it was forked: a
 * worker that was up for STABLE_AFTER_MS resets the count (a crash now and then
 * is restarted at once); one that died sooner adds to it.
 */
export function quickDeathsAfter(previous: number, livedMs: number): number {
  return livedMs >= STABLE_AFTER_MS ? 0 : previous + 1;
}

/**
 * How long the primary waits before it forks the replacement of a dead worker:
 * at once after an occasional crash, then 250 ms doubling with every quick death
 * in a row up to 30 s, so that a worker that cannot start (the database is down,
 * a bad deployment) is retried without a crash loop eating the cores.
 */
export function restartDelayMs(quickDeaths: number): number {
  if (quickDeaths <= 0) return 0;
  return Math.min(MAX_DELAY_MS, FIRST_DELAY_MS * 2 ** Math.min(quickDeaths - 1, 20));
}
