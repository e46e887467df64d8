import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import http from 'node:http';
import https from 'node:https';
import { isIP, type LookupFunction } from 'node:net';
import { Webhook } from 'standardwebhooks';
import { hostOf, refusedAddress } from './address-policy.js';
import { isSuccess } from './retry-policy.js';

/** One message to one endpoint, signed with every secret given (two during a rotation). */
export interface OutgoingMessage {
  url: string;
  /** webhook-id: the event's id, the same on every retry, so that consumers can drop duplicates. */
  id: string;
  body: string;
  secrets: string[];
}

/** What one attempt did: an HTTP status, or why there was none. */
export interface AttemptResult {
  startedAt: Date;
  durationMs: number;
  statusCode?: number;
  error?: string;
  succeeded: boolean;
}

export class AddressNotAllowedError extends Error {
  readonly code = 'EADDRNOTALLOWED';
}

const MAX_ERROR_CHARS = 500;

/**
 * Sends webhooks: Standard Webhooks headers and signatures (the
 * `standardwebhooks` package), a timeout for the whole exchange, no redirects
 * followed, keep-alive connections. Unless private networks are allowed, the
 * host is resolved at every new connection and the connection goes to an
 * address that was checked (the lookup hands only allowed addresses to the
 * socket), so DNS that changes after the endpoint was created does not help.
 */
export class WebhookSender {
  private readonly httpAgent: http.Agent;
  private readonly httpsAgent: https.Agent;
  private readonly lookup: LookupFunction;

  constructor(private readonly options: { timeoutMs: number; allowPrivateNetworks: boolean }) {
    this.lookup = checkedLookup(options.allowPrivateNetworks);
    const agent = { keepAlive: true, maxSockets: 16, lookup: this.lookup };
    this.httpAgent = new http.Agent(agent);
    this.httpsAgent = new https.Agent(agent);
  }

  async send(message: OutgoingMessage): Promise<AttemptResult> {
    const startedAt = new Date();
    const done = (r: Omit<AttemptResult, 'startedAt' | 'durationMs' | 'succeeded'>): AttemptResult => ({
      startedAt,
      durationMs: Date.now() - startedAt.getTime(),
      succeeded: isSuccess(r.statusCode),
      ...r,
      ...(r.error ? { error: r.error.slice(0, MAX_ERROR_CHARS) } : {}),
    });
    try {
      const url = new URL(message.url);
      const literal = hostOf(url);
      if (!this.options.allowPrivateNetworks && isIP(literal) && refusedAddress(literal)) {
        return done({ error: `address not allowed: ${refusedAddress(literal)}` });
      }
      const statusCode = await this.post(url, message, startedAt);
      return done({ statusCode, ...(isSuccess(statusCode) ? {} : { error: `HTTP ${statusCode}` }) });
    } catch (err) {
      return done({ error: describe(err) });
    }
  }

  /** Closes idle keep-alive connections (on shutdown). */
  close(): void {
    this.httpAgent.destroy();
    this.httpsAgent.destroy();
  }

  private post(url: URL, message: OutgoingMessage, at: Date): Promise<number> {
    const headers = {
      'content-type': 'application/json',
      'user-agent': 'inventory-service-webhooks/1',
      'webhook-id': message.id,
      'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
      'webhook-signature': sign(message, at),
      'content-length': String(Buffer.byteLength(message.body)),
    };
    const secure = url.protocol === 'https:';
    return new Promise((resolve, reject) => {
      const req = (secure ? https : http).request(
        url,
        {
          method: 'POST',
          headers,
          agent: secure ? this.httpsAgent : this.httpAgent,
          signal: AbortSignal.timeout(this.options.timeoutMs),
        },
        (res) => {
          // The answer's body is not needed: read it away (the timeout still bounds it) and keep the status.
          res.on('error', reject);
          res.on('end', () => resolve(res.statusCode ?? 0));
          res.resume();
        },
      );
      req.on('error', reject);
      req.end(message.body);
    });
  }
}

/** The webhook-signature header: `v1,<base64>` per secret, space-separated. */
export function sign(message: Pick<OutgoingMessage, 'id' | 'body' | 'secrets'>, at: Date): string {
  return message.secrets.map((secret) => new Webhook(secret).sign(message.id, at, message.body)).join(' ');
}

/** dns.lookup that hands the socket only addresses a webhook may reach. */
function checkedLookup(allowPrivate: boolean): LookupFunction {
  return (hostname, options, callback) => {
    dnsLookup(hostname, { ...options, all: true }, (err, addresses: LookupAddress[]) => {
      if (err) return callback(err, '', 0);
      const allowed = allowPrivate ? addresses : addresses.filter((a) => !refusedAddress(a.address));
      if (allowed.length === 0) {
        const why = refusedAddress(addresses[0]?.address ?? '') ?? 'no address';
        return callback(new AddressNotAllowedError(`address not allowed: ${hostname}: ${why}`), '', 0);
      }
      if (options.all) return (callback as (e: null, a: LookupAddress[]) => void)(null, allowed);
      callback(null, allowed[0]!.address, allowed[0]!.family);
    });
  };
}

function describe(err: unknown): string {
  if (err instanceof AddressNotAllowedError) return err.message;
  const e = err as { name?: string; code?: string; message?: string };
  if (e.name === 'TimeoutError' || e.name === 'AbortError') return 'timed out';
  return [e.code, e.message].filter(Boolean).join(': ') || String(err);
}
