import createClient, {
  mergeHeaders,
  type Client,
  type FetchResponse,
  type HeadersOptions,
  type MaybeOptionalInit,
} from 'openapi-fetch';
import type { HttpMethod, MediaType, PathsWithMethod, RequiredKeysOf } from 'openapi-typescript-helpers';
import type { components, paths } from './schema.js';
import { DEFAULT_RETRY, IDEMPOTENCY_KEY_HEADER, retryingFetch, type RetryPolicy } from './retry.js';

export type { components, operations, paths } from './schema.js';
export { backoffMs, DEFAULT_RETRY, isSafeToRetry, type RetryPolicy } from './retry.js';

/** Every schema of the API by name: `Schemas['ItemResponse']`, `Schemas['CreateOrderDto']`. */
export type Schemas = components['schemas'];
/** The body of every error the service answers, for every status: switch on `error`. */
export type ErrorBody = Schemas['ErrorResponse'];

export interface InventoryClientOptions {
  /** Where the service is, without /api: `http://localhost:3000`. */
  baseUrl: string;
  /** A tenant API key (or ADMIN_TOKEN for /api/admin), sent as `Authorization: Bearer …`. */
  apiKey?: string;
  /** Retries of 503 and network errors for GET/PUT/DELETE and calls with an idempotencyKey; `false`: none. */
  retry?: Partial<RetryPolicy> | false;
  /** Another fetch (a test double, a proxy agent); globalThis.fetch by default. */
  fetch?: (request: Request) => Promise<Response>;
  headers?: Record<string, string>;
}

/** Options of each call, besides openapi-fetch's (params, body, headers, signal, parseAs, …). */
export interface CallOptions {
  /**
   * Sent as Idempotency-Key: the service applies the write once and replays its
   * first answer to a repeat, so the client may also retry it after a 503 or a
   * network error. Use one key per intended change (an order id, a UUID).
   */
  idempotencyKey?: string;
}

/** The options of a call of `M` on path `P`: openapi-fetch's (params, body, headers, signal, …) and CallOptions. */
type Init<P extends keyof paths, M extends HttpMethod> = MaybeOptionalInit<paths[P], M>;
/** Required when the operation has required parameters or a body (openapi-fetch's rule). */
type InitArgs<I> = RequiredKeysOf<I> extends never ? [(I & CallOptions)?] : [I & CallOptions];

/**
 * openapi-fetch's method, with CallOptions, and with the options typed by the
 * operation rather than inferred from the argument: an object literal is then
 * checked for excess properties, so a field the document lacks (or a misspelt
 * one, nested in a body too) does not compile.
 */
type KeyedMethod<M extends HttpMethod> = <P extends PathsWithMethod<paths, M>>(
  url: P,
  ...init: InitArgs<Init<P, M>>
) => Promise<FetchResponse<NonNullable<paths[P][M]>, Init<P, M>, MediaType>>;

/**
 * The typed client: `api.GET('/api/items/{id}', { params: { path: { id } } })`
 * answers `{ data, error, response }`, `data` the documented success body (the
 * `{ request_id, data }` envelope) and `error` the ErrorBody otherwise.
 */
export interface InventoryClient {
  GET: KeyedMethod<'get'>;
  PUT: KeyedMethod<'put'>;
  POST: KeyedMethod<'post'>;
  DELETE: KeyedMethod<'delete'>;
  PATCH: KeyedMethod<'patch'>;
  /** openapi-fetch middleware (logging, tracing headers, …). */
  use: Client<paths>['use'];
  eject: Client<paths>['eject'];
}

export function createInventoryClient(options: InventoryClientOptions): InventoryClient {
  const policy = options.retry === false ? { ...DEFAULT_RETRY, attempts: 1 } : { ...DEFAULT_RETRY, ...options.retry };
  const client = createClient<paths>({
    baseUrl: options.baseUrl,
    fetch: retryingFetch(policy, options.fetch),
    headers: { ...options.headers, ...(options.apiKey ? { Authorization: `Bearer ${options.apiKey}` } : {}) },
  });
  /** Moves `idempotencyKey` into the headers, where the retry decision and the service look for it. */
  const keyed =
    (method: (url: never, init?: never) => Promise<unknown>) =>
    (url: string, init: ({ headers?: HeadersOptions } & CallOptions) | undefined) => {
      const { idempotencyKey, ...rest } = init ?? {};
      const headers =
        idempotencyKey === undefined
          ? rest.headers
          : mergeHeaders(rest.headers, { [IDEMPOTENCY_KEY_HEADER]: idempotencyKey });
      return method(url as never, { ...rest, headers } as never);
    };
  return {
    GET: keyed(client.GET) as InventoryClient['GET'],
    PUT: keyed(client.PUT) as InventoryClient['PUT'],
    POST: keyed(client.POST) as InventoryClient['POST'],
    DELETE: keyed(client.DELETE) as InventoryClient['DELETE'],
    PATCH: keyed(client.PATCH) as InventoryClient['PATCH'],
    use: client.use.bind(client),
    eject: client.eject.bind(client),
  };
}

/** An error answer, thrown by `unwrap`. */
export class InventoryApiError extends Error {
  constructor(
    readonly status: number,
    readonly body: ErrorBody,
  ) {
    super(`${status} ${body.error}: ${body.message}`);
    this.name = 'InventoryApiError';
  }

  get code(): string {
    return this.body.error;
  }
}

/** The success body of a call, or an InventoryApiError with the error body: `unwrap(await api.GET(…)).data`. */
export function unwrap<T>(result: { data?: T; error?: unknown; response: Response }): T {
  if (result.response.ok) return result.data as T;
  const body = (result.error as ErrorBody | undefined) ?? {
    request_id: result.response.headers.get('X-Request-Id') ?? '',
    error: 'unknown',
    message: `HTTP ${result.response.status} without an error body`,
  };
  throw new InventoryApiError(result.response.status, body);
}
