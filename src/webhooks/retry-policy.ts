/** The longest wait between two attempts. */
export const MAX_RETRY_DELAY_MS = 3_600_000;

/**
 * How long to wait after the `failures`-th failure in a row: `base` doubled on
 * each failure, at most an hour, with full jitter on the upper half (so that
 * endpoints and deliveries that failed together do not retry together).
 */
export function retryDelayMs(failures: number, baseMs: number, random: () => number = Math.random): number {
  const ceiling = Math.min(MAX_RETRY_DELAY_MS, baseMs * 2 ** Math.min(Math.max(failures - 1, 0), 32));
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}

export interface EndpointHealth {
  consecutiveFailures: number;
  failingSince: Date | null;
}

/**
 * Whether an endpoint that has just failed again should be disabled: it failed
 * `maxFailures` rounds in a row, or has not succeeded for `disableAfterHours`.
 * With the default base of 1 s and the one-hour ceiling, the time decides:
 * about 35 rounds fit into a day.
 */
export function shouldDisable(
  health: EndpointHealth,
  now: Date,
  limits: { maxFailures: number; disableAfterHours: number },
): string | undefined {
  if (health.consecutiveFailures >= limits.maxFailures) {
    return `${health.consecutiveFailures} failed delivery rounds in a row`;
  }
  if (health.failingSince && now.getTime() - health.failingSince.getTime() >= limits.disableAfterHours * 3_600_000) {
    return `no successful delivery for ${limits.disableAfterHours} h`;
  }
  return undefined;
}

/** Any 2xx is success; redirects are not followed, so a 3xx is a failure like any other status. */
export const isSuccess = (status: number | undefined): boolean => status !== undefined && status >= 200 && status < 300;
