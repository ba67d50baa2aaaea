import { type ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import type { BenchDatabase } from './database';
import { isServerMessage, type ServerMessage, type ServerStats } from './ipc';

export const repoRoot = fileURLToPath(new URL('..', import.meta.url));

export async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const address = probe.address();
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no free port');
  return address.port;
}

export interface BenchServer {
  url: string;
  /** The child's process id, e.g. to sample its RSS from /proc while it works. */
  pid: number | undefined;
  /** What the server reported once listening. */
  ready: Extract<ServerMessage, { type: 'ready' }>;
  /** The server's memory after `gc()`. */
  memory(): Promise<NodeJS.MemoryUsage>;
  /** The server's CPU time and database statements so far. */
  stats(): Promise<ServerStats>;
  /** Forgets fan-out starts reported so far. */
  clearFanouts(): void;
  /** The first fan-out start reported since the last `clearFanouts()`. */
  fanoutStart(timeoutMs?: number): Promise<bigint>;
  /** SIGTERM (SIGKILL after 15 s), resolved once the process has exited, with how. */
  stop(): Promise<ServerExit>;
}

export interface ServerExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** BENCH_CPU_PROF=<folder>: each server writes a V8 CPU profile there when it exits. */
const cpuProfileDir = knob('BENCH_CPU_PROF');

function knob(name: string): string | undefined {
  return process.env[name] || undefined;
}

/**
 * Runs `script` (a file in bench/) in its own Node process, so the server never shares
 * an event loop with the bench's clients. The child's output goes to our stderr, keeping
 * stdout for the table; as a pipe it is no TTY, so the server logs plain JSON rather than
 * starting pino-pretty's worker thread.
 */
export async function startServer(
  script: 'server-process.ts' | 'raw-sse-server.ts',
  env: Record<string, string | undefined>,
  { port: fixedPort }: { port?: number } = {},
): Promise<BenchServer> {
  const port = fixedPort ?? (await freePort());
  const child: ChildProcess = spawn(
    process.execPath,
    [
      ...(cpuProfileDir
        ? ['--cpu-prof', `--cpu-prof-dir=${cpuProfileDir}`, '--cpu-prof-interval=200']
        : []),
      '--expose-gc',
      '--import',
      'tsx',
      fileURLToPath(new URL(script, import.meta.url)),
    ],
    {
      cwd: repoRoot,
      env: { ...process.env, ...env, PORT: String(port) },
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    },
  );
  child.stdout?.pipe(process.stderr);
  child.stderr?.pipe(process.stderr);

  const fanouts: bigint[] = [];
  const memoryWaiters: Array<(usage: NodeJS.MemoryUsage) => void> = [];
  const statsWaiters: Array<(stats: ServerStats) => void> = [];
  const ready = await new Promise<Extract<ServerMessage, { type: 'ready' }>>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${script} did not start in 60 s`)), 60_000);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${script} exited with ${code} before listening`));
    });
    child.on('message', (message: unknown) => {
      if (!isServerMessage(message)) return;
      if (message.type === 'ready') {
        clearTimeout(timer);
        resolve(message);
      } else if (message.type === 'fanout') {
        fanouts.push(BigInt(message.at));
      } else if (message.type === 'memory') {
        memoryWaiters.shift()?.(message.usage);
      } else if (message.type === 'stats') {
        statsWaiters.shift()?.(message.stats);
      }
    });
  });

  return {
    url: `http://127.0.0.1:${ready.port ?? port}`,
    pid: child.pid,
    ready,
    memory() {
      return new Promise((resolve, reject) => {
        memoryWaiters.push(resolve);
        child.send({ type: 'memory' }, (error) => {
          if (error) reject(error);
        });
      });
    },
    stats() {
      return new Promise((resolve, reject) => {
        statsWaiters.push(resolve);
        child.send({ type: 'stats' }, (error) => {
          if (error) reject(error);
        });
      });
    },
    clearFanouts() {
      fanouts.length = 0;
    },
    async fanoutStart(timeoutMs = 30_000) {
      const deadline = Date.now() + timeoutMs;
      while (fanouts.length === 0) {
        if (Date.now() > deadline) throw new Error('the server reported no fan-out');
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
      return fanouts[0] ?? 0n;
    },
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) {
        return { code: child.exitCode, signal: child.signalCode };
      }
      const exited = new Promise<ServerExit>((resolve) =>
        child.once('exit', (code, signal) => resolve({ code, signal })),
      );
      child.kill('SIGTERM');
      const killer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      const exit = await exited;
      clearTimeout(killer);
      return exit;
    },
  };
}

/**
 * Photogram itself (`server-process.ts`) on a bench database, logging only warnings;
 * `env` adds to that (`SSE_TRANSPORT`, `BUS`). `port`: a fixed one, e.g. to restart a
 * server where its clients will reconnect.
 */
export function startPhotogram(
  database: Pick<BenchDatabase, 'dataDir' | 'url'>,
  env: Record<string, string> = {},
  options: { port?: number } = {},
): Promise<BenchServer> {
  return startServer(
    'server-process.ts',
    {
      DATA_DIR: database.dataDir,
      DATABASE_URL: database.url,
      LOG_LEVEL: 'warn',
      ...env,
    },
    options,
  );
}
