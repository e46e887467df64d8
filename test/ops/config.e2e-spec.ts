import { describe, expect, it } from '@jest/globals';
import { getMetadataStorage } from 'class-validator';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseEnv } from 'node:util';
import { Env, validateEnv, workerCount } from '../../src/config/env.js';
import { MAIN, ROOT, run } from './support/processes.js';

const baseEnv = { PATH: process.env.PATH, DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none', LOG_PRETTY: 'false' };
const start = (env: Record<string, string>, cwd?: string) =>
  run([MAIN], { ...baseEnv, ...env }, { cwd, timeoutMs: 15_000 });
const lines = (text: string) => text.split('\n').filter((l) => l.trim() !== '');

/** Every variable the service reads, from the validation schema itself. */
const VARIABLES = [
  ...new Set(
    getMetadataStorage()
      .getTargetValidationMetadatas(Env, '', true, false)
      .map((m) => m.propertyName),
  ),
];

describe('configuration at start-up', () => {
  it('refuses a bad value with one line naming the variable, and exits 1', async () => {
    const out = await start({ PORT: 'abc' });
    expect(out.code).toBe(1);
    expect(lines(out.stderr)).toEqual([expect.stringMatching(/^Invalid configuration: PORT="abc": .*PORT/)]);
    expect(out.stdout).toBe('');
  });

  it('names every bad variable, one line each', async () => {
    const out = await start({
      PORT: '70000',
      LOG_LEVEL: 'loud',
      CORS_ORIGINS: 'not an origin',
      METRICS_TOKEN: 'short',
      LOG_PRETTY: 'maybe',
    });
    expect(out.code).toBe(1);
    const reported = lines(out.stderr);
    expect(reported).toHaveLength(5);
    for (const name of ['PORT', 'LOG_LEVEL', 'CORS_ORIGINS', 'METRICS_TOKEN', 'LOG_PRETTY']) {
      expect(reported.filter((l) => l.startsWith(`Invalid configuration: ${name}=`))).toHaveLength(1);
    }
  });

  it('refuses a SHUTDOWN_DELAY_MS that leaves no time to drain', () => {
    expect(() => validateEnv({ SHUTDOWN_DELAY_MS: '10000' })).toThrow(
      'Invalid configuration: SHUTDOWN_DELAY_MS="10000": SHUTDOWN_DELAY_MS must be less than SHUTDOWN_TIMEOUT_MS (10000)',
    );
    expect(validateEnv({ SHUTDOWN_DELAY_MS: '5000', SHUTDOWN_TIMEOUT_MS: '15000' })).toMatchObject({
      SHUTDOWN_DELAY_MS: 5000,
      SHUTDOWN_TIMEOUT_MS: 15000,
    });
  });

  it('refuses an OTEL_EXPORTER_OTLP_ENDPOINT that is not an http(s) URL', () => {
    expect(() => validateEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: 'localhost:4318' })).toThrow(
      /^Invalid configuration: OTEL_EXPORTER_OTLP_ENDPOINT="localhost:4318": .*http\(s\) URL/,
    );
    expect(validateEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' })).toMatchObject({
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318',
    });
  });

  it('refuses DB_POOL_MODE=transaction without a direct MIGRATIONS_DATABASE_URL, and a bad mode', () => {
    const pooler = 'postgres://app@127.0.0.1:6432/inventory';
    expect(() => validateEnv({ DB_POOL_MODE: 'transaction', DATABASE_URL: pooler })).toThrow(
      /^Invalid configuration: DB_POOL_MODE="transaction": needs DATABASE_URL \(the pooler\) and MIGRATIONS_DATABASE_URL/,
    );
    expect(() => validateEnv({ DB_POOL_MODE: 'statement' })).toThrow(
      'Invalid configuration: DB_POOL_MODE="statement": DB_POOL_MODE must be one of session, transaction',
    );
    const direct = 'postgres://app@127.0.0.1:5432/inventory';
    expect(
      validateEnv({ DB_POOL_MODE: 'transaction', DATABASE_URL: pooler, MIGRATIONS_DATABASE_URL: direct }),
    ).toMatchObject({ DB_POOL_MODE: 'transaction', MIGRATIONS_DATABASE_URL: direct });
  });

  it('takes WORKERS as 1 to 64 or auto (one per core), and refuses anything else', () => {
    expect(workerCount(validateEnv({}), 8)).toBe(1);
    expect(workerCount(validateEnv({ WORKERS: '3' }), 8)).toBe(3);
    expect(workerCount(validateEnv({ WORKERS: 'auto' }), 8)).toBe(8);
    for (const bad of ['0', '65', '-1', '1.5', 'all', '']) {
      expect(() => validateEnv({ WORKERS: bad })).toThrow(
        `Invalid configuration: WORKERS=${JSON.stringify(bad)}: WORKERS must be a whole number from 1 to 64, or auto`,
      );
    }
  });

  it('reads .env from the working directory, the real environment winning', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'inventory-env-'));
    writeFileSync(join(dir, '.env'), 'DB_POOL_SIZE=0\nPORT=abc\n');
    const out = await start({ PORT: '3999' }, dir);
    expect(out.code).toBe(1);
    expect(lines(out.stderr)).toEqual([expect.stringMatching(/^Invalid configuration: DB_POOL_SIZE="0": /)]);
  });
});

describe('documented configuration', () => {
  const example = readFileSync(resolve(ROOT, '.env.example'), 'utf8');
  const readme = readFileSync(resolve(ROOT, 'README.md'), 'utf8');
  const defaults = validateEnv({});

  it.each(VARIABLES)('.env.example lists %s', (name) => {
    expect(example).toMatch(new RegExp(`^(# )?${name}=`, 'm'));
  });

  it('.env.example holds valid values, and they are the defaults', () => {
    const values = parseEnv(example);
    const parsed = validateEnv(values);
    for (const name of Object.keys(values)) {
      expect({ name, value: parsed[name as keyof Env] }).toEqual({ name, value: defaults[name as keyof Env] });
    }
  });

  it.each(VARIABLES)('the README configuration table lists %s', (name) => {
    expect(readme).toMatch(new RegExp(`^\\| \`${name}\` \\|`, 'm'));
  });
});
