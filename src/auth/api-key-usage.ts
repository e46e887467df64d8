import { Injectable, Logger, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { Env } from '../config/env.js';
import { recordUses } from './api-key.repository.js';

/**
 * last_used_at without a write per request: each instance notes in memory when
 * it last saw each key, and writes what it noted every AUTH_LAST_USED_FLUSH_MS
 * (one UPDATE for every key used since, none when no key was), and once more
 * when it shuts down. So last_used_at is at most that late (a minute by
 * default), and a crash loses at most that much of it.
 */
@Injectable()
export class ApiKeyUsage implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger('ApiKeyUsage');
  private readonly intervalMs: number;
  /** Key id → the last time (ms) this instance saw it, since the last flush. */
  private pending = new Map<string, number>();
  private timer?: NodeJS.Timeout;
  private flushing?: Promise<void>;

  constructor(
    private readonly dataSource: DataSource,
    env: Env,
  ) {
    this.intervalMs = env.AUTH_LAST_USED_FLUSH_MS;
  }

  onModuleInit(): void {
    this.timer = setInterval(() => void this.flush(), this.intervalMs);
    this.timer.unref();
  }

  async onModuleDestroy(): Promise<void> {
    clearInterval(this.timer);
    await this.flush();
  }

  /** Called for every authenticated request: memory only. */
  touch(keyId: string, now = Date.now()): void {
    this.pending.set(keyId, now);
  }

  /** Writes the uses noted so far (what a failed write had is kept for the next one). */
  async flush(): Promise<void> {
    await this.flushing;
    if (this.pending.size === 0) return;
    const uses = this.pending;
    this.pending = new Map();
    this.flushing = recordUses(this.dataSource, uses).catch((err: unknown) => {
      for (const [id, at] of uses) if (!this.pending.has(id)) this.pending.set(id, at);
      this.logger.warn(`Could not record API key uses (kept for the next try): ${(err as Error).message}`);
    });
    await this.flushing;
  }
}
