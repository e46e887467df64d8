/**
 * Retries of calls that are safe to send twice. The service answers 503
 * `service_unavailable` when its database cannot be reached or a lock wait timed
 * out, and a network error leaves the caller not knowing whether the request
 * arrived: sending it again is only safe for an idempotent method (GET, PUT,
 * DELETE) or a write carrying an Idempotency-Key, which the service replays
 * instead of applying twice. Any other answer is returned as it is.
 */

export interface RetryPolicy {
  /** Tries in all, the first included (1: no retry). */
  attempts: number;
  /** Backoff before retry n: a random delay up to baseDelayMs * 2^(n-1), at most maxDelayMs. */
  baseDelayMs: number;
  maxDelayMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { attempts: 3, baseDelayMs: 200, maxDelayMs: 5_000 };

export const IDEMPOTENCY_KEY_HEADER = 'Idempotency-Key';

const IDEMPOTENT_METHODS = new Set(['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE']);

/** Whether sending the request again cannot apply its change twice. */
export function isSafeToRetry(request: Request): boolean {
  return IDEMPOTENT_METHODS.has(request.method.toUpperCase()) || request.headers.has(IDEMPOTENCY_KEY_HEADER);
}

/**
 * fetch rejects with a TypeError when the request got no response (refused,
 * reset, DNS); an abort is an AbortError. By name: the TypeError may come from
 * another realm than this module's (Node's fetch seen from a vm context).
 */
const isNetworkError = (err: unknown): boolean =>
  typeof err === 'object' && err !== null && (err as { name?: unknown }).name === 'TypeError';

/**
 * The wait before retry `retry` (1, 2, …): "full jitter" exponential backoff, so
 * that clients which failed together do not come back together. A Retry-After
 * in seconds from the server is honoured, within maxDelayMs.
 */
export function backoffMs(
  retry: number,
  policy: RetryPolicy,
  retryAfter?: string | null,
  random: () => number = Math.random,
): number {
  const seconds = retryAfter && /^\d+$/.test(retryAfter) ? Number(retryAfter) : undefined;
  if (seconds !== undefined) return Math.min(seconds * 1000, policy.maxDelayMs);
  return Math.round(random() * Math.min(policy.baseDelayMs * 2 ** (retry - 1), policy.maxDelayMs));
}

const sleep = (ms: number, signal?: AbortSignal | null) =>
  new Promise<void>((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason as Error);
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => (clearTimeout(timer), reject(signal.reason as Error)), { once: true });
  });

/** A fetch for openapi-fetch's `fetch` option that retries 503s and network errors of safe requests. */
export function retryingFetch(
  policy: RetryPolicy,
  fetchImpl: (request: Request) => Promise<Response> = (request) => globalThis.fetch(request),
): (request: Request) => Promise<Response> {
  return async (request) => {
    if (policy.attempts <= 1 || !isSafeToRetry(request)) return fetchImpl(request);
    for (let attempt = 1; ; attempt++) {
      const last = attempt >= policy.attempts;
      let response: Response;
      try {
        // A Request's body can be read once: every try sends a copy, the original stays unread.
        response = await fetchImpl(last ? request : request.clone());
      } catch (err) {
        if (last || !isNetworkError(err) || request.signal.aborted) throw err;
        await sleep(backoffMs(attempt, policy), request.signal);
        continue;
      }
      if (response.status !== 503 || last) return response;
      await response.body?.cancel();
      await sleep(backoffMs(attempt, policy, response.headers.get('Retry-After')), request.signal);
    }
  };
}
