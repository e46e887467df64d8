import { Injectable } from '@nestjs/common';
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { Env } from '../config/env.js';
import { UrlNotAllowedError, ValidationFailedError } from '../common/errors.js';
import { hostOf, refusedAddress, urlProblem } from './address-policy.js';

const RESOLVE_TIMEOUT_MS = 3000;

/**
 * Decides whether an endpoint may be created with (or changed to) a URL: its
 * form, and unless WEBHOOK_ALLOW_PRIVATE_NETWORKS, every address its host
 * resolves to now. Deliveries check the address again when they connect.
 */
@Injectable()
export class WebhookUrlPolicy {
  constructor(private readonly env: Env) {}

  async check(url: string): Promise<void> {
    const problem = urlProblem(url);
    if (problem) throw new ValidationFailedError([{ field: 'url', message: problem }]);
    if (this.env.WEBHOOK_ALLOW_PRIVATE_NETWORKS) return;
    const host = hostOf(new URL(url));
    const addresses = isIP(host) ? [host] : await resolve(host);
    for (const address of addresses) {
      const refused = refusedAddress(address);
      if (refused) throw new UrlNotAllowedError(address === host ? `url: ${refused}` : `url: ${host} → ${refused}`);
    }
  }
}

async function resolve(host: string): Promise<string[]> {
  let timer: NodeJS.Timeout | undefined;
  try {
    const found = await Promise.race([
      lookup(host, { all: true, verbatim: true }),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error('timed out')), RESOLVE_TIMEOUT_MS);
      }),
    ]);
    if (found.length === 0) throw new Error('no address');
    return found.map((a) => a.address);
  } catch (err) {
    throw new UrlNotAllowedError(`url: ${host} does not resolve (${err instanceof Error ? err.message : String(err)})`);
  } finally {
    clearTimeout(timer);
  }
}
