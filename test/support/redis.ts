import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { Redis } from 'ioredis';
import { freePort, sleep } from './util.js';

// A private redis-server per test file, on a free port, nothing persisted: tests
// never touch the machine's Redis (other runs use 6379) and may kill their own.
// Without the redis-server binary the Redis suites are skipped, saying so;
// REQUIRE_REDIS=1 (CI) makes that a failure.

function findRedisServer(): string | undefined {
  try {
    return execFileSync('sh', ['-c', 'command -v redis-server'], { encoding: 'utf8' }).trim() || undefined;
  } catch {
    return undefined;
  }
}

export const REDIS_SERVER = findRedisServer();
export const redisRuns = REDIS_SERVER !== undefined || process.env.REQUIRE_REDIS === '1';

/** `describe` when the Redis suites can run (or must), `describe.skip` with a line on stderr otherwise. */
export function redisSuite<D>(describe: D & { skip: D }, file: string): D {
  if (redisRuns) return describe;
  process.stderr.write(
    `${file} skipped: no redis-server binary (apt-get install redis-server); REQUIRE_REDIS=1 makes this a failure\n`,
  );
  return describe.skip;
}

export interface PrivateRedis {
  port: number;
  url: string;
  /** A client of its own (for the test's checks). */
  client: Redis;
  /** SIGKILL, as a crash. */
  kill(): Promise<void>;
  /** SIGSTOP / SIGCONT: a Redis that keeps its data but answers nothing meanwhile (commands time out). */
  freeze(): void;
  thaw(): void;
  /** Starts it again on the same port, empty. */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

export async function startRedis(): Promise<PrivateRedis> {
  if (!REDIS_SERVER)
    throw new Error('redis-server not found (REQUIRE_REDIS=1): install it (apt-get install redis-server)');
  const port = await freePort();
  let child: ChildProcess | undefined;
  const launch = async () => {
    child = spawn(REDIS_SERVER, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
      stdio: 'ignore',
    });
    const probe = new Redis({
      port,
      host: '127.0.0.1',
      lazyConnect: true,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
    });
    for (let i = 0; ; i++) {
      try {
        await probe.connect();
        await probe.ping();
        probe.disconnect();
        return;
      } catch {
        probe.disconnect();
        if (i > 100) throw new Error(`redis-server on ${port} did not start`);
        await sleep(50);
      }
    }
  };
  const kill = async () => {
    const c = child;
    if (!c || c.exitCode !== null) return;
    const exited = new Promise((resolve) => c.once('exit', resolve));
    c.kill('SIGKILL');
    await exited;
  };
  await launch();
  const client = new Redis({ port, host: '127.0.0.1', maxRetriesPerRequest: 1 });
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    client,
    kill,
    freeze: () => void child?.kill('SIGSTOP'),
    thaw: () => void child?.kill('SIGCONT'),
    restart: launch,
    stop: async () => {
      client.disconnect();
      await kill();
    },
  };
}
