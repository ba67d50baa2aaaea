import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort } from './process';

const run = promisify(execFile);

/** Where Debian's PostgreSQL 15 packages put initdb, pg_ctl, postgres and psql. */
export const POSTGRES_BIN = '/usr/lib/postgresql/15/bin';
// The cluster runs as this OS user: PostgreSQL refuses to run as root.
const OS_USER = 'postgres';
// The machine's shared cluster: a throwaway one must never be started, or stopped, there.
const SHARED_PORT = 5432;

/**
 * Why a throwaway cluster cannot be made on this machine, or null when it can: the
 * binaries must be there, and the process must be root to run them as `postgres`.
 */
export function clusterUnavailableReason(): string | null {
  for (const tool of ['initdb', 'pg_ctl', 'postgres', 'psql']) {
    try {
      accessSync(join(POSTGRES_BIN, tool), constants.X_OK);
    } catch (error: unknown) {
      return `${join(POSTGRES_BIN, tool)} is not executable here (${String(error)})`;
    }
  }
  if (process.getuid?.() !== 0) {
    return `not running as root, so the cluster cannot be run as the ${OS_USER} user`;
  }
  return null;
}

export type ShutdownMode = 'smart' | 'fast' | 'immediate';

export interface Cluster {
  /** `postgres://postgres@127.0.0.1:<port>/postgres`, trust authentication. */
  url: string;
  port: number;
  /** The data directory; the server log is `log` beside it. */
  dataDir: string;
  log: string;
  /** `pg_ctl restart`: resolves once the new postmaster accepts connections. */
  restart(mode?: ShutdownMode): Promise<void>;
  /** `pg_ctl stop`: resolves once the postmaster has exited. */
  stop(mode?: ShutdownMode): Promise<void>;
  /** `pg_ctl start`: resolves once it accepts connections. */
  start(): Promise<void>;
  /**
   * `psql` on the cluster running `commands` (each a `-c`, in one session), output
   * unaligned and without headers on `stdout`. A session of its own process: PostgreSQL
   * going away under it ends the process, not the test's.
   */
  psql(commands: string[]): ChildProcess;
  /** Stops it if it runs (immediately: its data is thrown away) and removes its files. */
  destroy(): Promise<void>;
}

/**
 * A PostgreSQL cluster of the test's own, on a free port with its socket in its own
 * temporary folder, so a test can restart or stop PostgreSQL without disturbing the
 * shared server other tests use. Needs `clusterUnavailableReason() === null`.
 */
export async function startCluster(): Promise<Cluster> {
  const root = await mkdtemp(join(tmpdir(), 'photogram-pg-'));
  const dataDir = join(root, 'data');
  const log = join(root, 'log');
  let port = await freePort();
  while (port === SHARED_PORT) port = await freePort();

  // As the postgres user, from a folder it may enter (initdb reads its working directory).
  const asPostgres = (tool: string, args: string[]) =>
    run('runuser', ['-u', OS_USER, '--', join(POSTGRES_BIN, tool), ...args], {
      cwd: root,
      env: { ...process.env, LC_ALL: 'C' },
    });
  const options = [
    `-p ${port}`,
    `-k ${root}`,
    '-c listen_addresses=127.0.0.1',
    // Durability against an OS crash is no concern here; a process crash is still safe.
    '-c fsync=off',
  ].join(' ');
  const pgCtl = (action: string, ...args: string[]) =>
    asPostgres('pg_ctl', [
      '-D',
      dataDir,
      '-l',
      log,
      '-o',
      options,
      '-w',
      '-t',
      '30',
      ...args,
      action,
    ]);

  let running = false;
  const cluster: Cluster = {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    port,
    dataDir,
    log,
    async restart(mode = 'fast') {
      await pgCtl('restart', '-m', mode);
      running = true;
    },
    async stop(mode = 'fast') {
      await pgCtl('stop', '-m', mode);
      running = false;
    },
    async start() {
      await pgCtl('start');
      running = true;
    },
    psql(commands) {
      const args = ['-X', '-q', '-t', '-A', '-v', 'ON_ERROR_STOP=1'];
      args.push('-h', '127.0.0.1', '-p', String(port), '-U', OS_USER, '-d', 'postgres');
      for (const command of commands) args.push('-c', command);
      return spawn(join(POSTGRES_BIN, 'psql'), args, { stdio: ['ignore', 'pipe', 'pipe'] });
    },
    async destroy() {
      try {
        if (running) await pgCtl('stop', '-m', 'immediate');
        running = false;
      } finally {
        await rm(root, { recursive: true, force: true });
      }
    },
  };

  try {
    await run('chown', [`${OS_USER}:`, root]);
    await asPostgres('initdb', [
      '-D',
      dataDir,
      '--auth=trust',
      '-U',
      OS_USER,
      '--no-sync',
      '--encoding=UTF8',
      '--locale=C',
    ]);
    await cluster.start();
  } catch (error: unknown) {
    await cluster.destroy();
    throw error;
  }
  return cluster;
}
