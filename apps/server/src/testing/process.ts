import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { copyMigratedPglite } from './database';

/** A port nobody listens on right now. */
export async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const address = probe.address();
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

export interface SpawnOptions {
  /** A fixed port, e.g. to restart a server where its clients will reconnect. */
  port?: number;
  /**
   * The `DATA_DIR` to use. A folder given here is the caller's: `stop()` leaves it, so a
   * PGlite server can be restarted on the same data. Without it a temporary one is made
   * and removed on `stop()`.
   */
  dataDir?: string;
  /** `pipe` gives the caller the child's stdout (`server.stdout`); it inherits otherwise. */
  stdout?: 'inherit' | 'pipe';
  /** Give up waiting for `/healthz` after this long (default 30 s). */
  startTimeoutMs?: number;
}

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface SpawnedServer {
  url: string;
  port: number;
  dataDir: string;
  child: ChildProcess;
  /** The child's stdout when spawned with `stdout: 'pipe'`. */
  stdout: Readable | null;
  /** Resolves when the process has exited. */
  exited: Promise<Exit>;
  /** Whether the process is still running. */
  readonly alive: boolean;
  /** Sends a signal (SIGTERM, SIGSTOP, SIGKILL, …). */
  signal(signal: NodeJS.Signals): void;
  /** SIGTERM, then waits for the exit (and removes a temporary data folder). */
  stop(): Promise<Exit>;
}

/**
 * The test runner's environment without `DATABASE_URL`: a child given none runs on its
 * own PGlite. Inheriting it would put the child on the shared database itself, where
 * what it leaves (rate-limit counters, rows) meets every other child of every run.
 */
function inherited(): NodeJS.ProcessEnv {
  const { DATABASE_URL: _shared, ...rest } = process.env;
  return rest;
}

/** `src/main.ts` in a child process, as `npm start` runs it, with the given environment. */
export async function spawnServer(
  env: Record<string, string>,
  options: SpawnOptions = {},
): Promise<SpawnedServer> {
  const port = options.port ?? (await freePort());
  const ownsDataDir = options.dataDir === undefined;
  const dataDir = options.dataDir ?? (await mkdtemp(join(tmpdir(), 'photogram-proc-')));
  // A child on PGlite of a folder of ours starts on a copy of the migrated template
  // instead of migrating for three seconds; a caller's folder is left as given.
  if (ownsDataDir && !env.DATABASE_URL) await copyMigratedPglite(join(dataDir, 'pglite'));
  const main = fileURLToPath(new URL('../main.ts', import.meta.url));
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', main], {
    env: { ...inherited(), LOG_LEVEL: 'warn', ...env, PORT: String(port), DATA_DIR: dataDir },
    stdio: ['ignore', options.stdout ?? 'inherit', 'inherit'],
  });
  const exited = new Promise<Exit>((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal }));
  });
  const url = `http://127.0.0.1:${port}`;
  const server: SpawnedServer = {
    url,
    port,
    dataDir,
    child,
    stdout: child.stdout,
    exited,
    get alive() {
      return child.exitCode === null && child.signalCode === null;
    },
    signal(signal) {
      child.kill(signal);
    },
    async stop() {
      if (server.alive) child.kill('SIGTERM');
      const exit = await exited;
      if (ownsDataDir) await rm(dataDir, { recursive: true, force: true });
      return exit;
    },
  };
  const deadline = Date.now() + (options.startTimeoutMs ?? 30_000);
  for (;;) {
    if (!server.alive) {
      const exit = await exited;
      if (ownsDataDir) await rm(dataDir, { recursive: true, force: true });
      throw new Error(`server exited with ${exit.code ?? exit.signal} before it was healthy`);
    }
    const ok = await fetch(`${url}/healthz`).then(
      (response) => response.ok,
      () => false,
    );
    if (ok) break;
    if (Date.now() > deadline) {
      await server.stop();
      throw new Error('server did not start in time');
    }
    // Polling is the readiness signal here: the child announces nothing else.
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return server;
}

/** The server's exit, or 'still running' if it has not exited within `ms`. */
export async function exitWithin(
  server: SpawnedServer,
  ms: number,
): Promise<Exit | 'still running'> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'still running'>((resolve) => {
    timer = setTimeout(() => resolve('still running'), ms);
  });
  try {
    return await Promise.race([server.exited, late]);
  } finally {
    clearTimeout(timer);
  }
}
