import { CanActivate, ExecutionContext, HttpException, HttpStatus, Injectable, OnModuleDestroy } from '@nestjs/common';
import type { Request, Response } from 'express';
import { Env } from '../config/env.js';

export const RATE_LIMIT_WINDOW_MS = 60_000;

/**
 * RATE_LIMIT_PER_MINUTE requests per API key in any sliding minute, counted in
 * this instance's memory (n instances allow n times as many). Over the limit the
 * request is refused before it does anything: 429 `rate_limited` with
 * `Retry-After` = whole seconds until the oldest counted request leaves the window.
 * Refused requests are not counted, so a client that honours Retry-After gets through.
 *
 * The tracker is the key the auth guard resolved (`req.principal.actor`), so this
 * guard must run after ApiKeyGuard: RateLimitModule is imported after AuthModule.
 * Requests without a principal are not counted: public routes (health, docs) and
 * the ADMIN_TOKEN routes; a missing or unknown key is a 401 before this guard.
 *
 * (Not @nestjs/throttler: that package is CommonJS and require()s the ESM-only
 * @nestjs/common 12, which Node 20 allows but Jest's module loader does not
 * before Node 24.9, so every e2e test would fail to load the app.)
 */
@Injectable()
export class RateLimitGuard implements CanActivate, OnModuleDestroy {
  private readonly limit: number;
  /** Per key, the times (ms) of the requests counted in the current window, oldest first. */
  private readonly hits = new Map<string, number[]>();
  private readonly sweeper: NodeJS.Timeout;

  constructor(env: Env) {
    this.limit = env.RATE_LIMIT_PER_MINUTE;
    // Forget keys that went quiet, so the map does not grow with every key ever seen.
    this.sweeper = setInterval(() => this.forgetIdle(Date.now()), RATE_LIMIT_WINDOW_MS);
    this.sweeper.unref();
  }

  onModuleDestroy(): void {
    clearInterval(this.sweeper);
  }

  canActivate(context: ExecutionContext): boolean {
    if (context.getType() !== 'http' || this.limit <= 0) return true;
    const http = context.switchToHttp();
    const tracker = http.getRequest<Request>().principal?.actor;
    if (!tracker) return true;
    const res = http.getResponse<Response>();

    const now = Date.now();
    const hits = this.hits.get(tracker) ?? [];
    const stale = hits.findIndex((t) => t > now - RATE_LIMIT_WINDOW_MS);
    hits.splice(0, stale === -1 ? hits.length : stale);
    res.setHeader('X-RateLimit-Limit', String(this.limit));

    if (hits.length >= this.limit) {
      const retryAfter = Math.max(1, Math.ceil((hits[0]! + RATE_LIMIT_WINDOW_MS - now) / 1000));
      res.setHeader('X-RateLimit-Remaining', '0');
      res.setHeader('Retry-After', String(retryAfter));
      this.hits.set(tracker, hits);
      throw new HttpException(
        `Rate limit of ${this.limit} requests per minute for this API key exceeded; retry in ${retryAfter} s`,
        HttpStatus.TOO_MANY_REQUESTS,
      );
    }
    hits.push(now);
    this.hits.set(tracker, hits);
    res.setHeader('X-RateLimit-Remaining', String(this.limit - hits.length));
    return true;
  }

  private forgetIdle(now: number): void {
    for (const [tracker, hits] of this.hits) {
      if (hits.length === 0 || hits[hits.length - 1]! <= now - RATE_LIMIT_WINDOW_MS) this.hits.delete(tracker);
    }
  }
}
