/**
 * Messages between the bench and the servers it starts. Times are
 * `process.hrtime.bigint()` (CLOCK_MONOTONIC, the same clock in every process) as
 * decimal strings, since bigints do not survive IPC's JSON.
 */

/** What a server has spent so far, read in the server process at `at`. */
export interface ServerStats {
  at: string;
  /** `process.cpuUsage()`: microseconds of user and system CPU since the process started. */
  cpu: NodeJS.CpuUsage;
  /** Statements sent to the database so far (0 for a server without one). */
  queries: number;
  /** The same, by statement (its first words), for telling what the round trips were. */
  statements: Record<string, number>;
}

export type ServerMessage =
  | {
      type: 'ready';
      /** `SSE_TRANSPORT` as the server parsed it; null when the server does not know it. */
      transport: string | null;
      /** What the fan-out start is taken from, e.g. `MemoryBus.deliver`. */
      fanoutHook: string;
      /** The port, when the server chose it itself. */
      port?: number | undefined;
      /** Taken once listening, before any request could be served. */
      stats?: ServerStats | undefined;
    }
  | { type: 'fanout'; at: string }
  | { type: 'memory'; usage: NodeJS.MemoryUsage }
  | { type: 'stats'; stats: ServerStats };

export type BenchMessage = { type: 'memory' } | { type: 'stats' };

export function isServerMessage(value: unknown): value is ServerMessage {
  return typeof value === 'object' && value !== null && 'type' in value;
}

export function isBenchMessage(value: unknown): value is BenchMessage {
  return (
    typeof value === 'object' &&
    value !== null &&
    'type' in value &&
    (value.type === 'memory' || value.type === 'stats')
  );
}

/**
 * Answers `{ type: 'memory' }` with the process's memory after two full collections, and
 * `{ type: 'stats' }` with `stats()`.
 */
export function answerBenchRequests(stats: () => ServerStats) {
  process.on('message', (message: unknown) => {
    if (!isBenchMessage(message)) return;
    if (message.type === 'stats') {
      send({ type: 'stats', stats: stats() });
      return;
    }
    // Twice: the first collection can leave finalizer-held objects for the second.
    globalThis.gc?.();
    globalThis.gc?.();
    send({ type: 'memory', usage: process.memoryUsage() });
  });
  // Without the bench (it crashed or was killed) nobody will ever stop this server.
  process.on('disconnect', () => process.kill(process.pid, 'SIGTERM'));
}

/** CPU and time now; `queries` and `statements` from the caller (none by default). */
export function readStats(queries = 0, statements: Record<string, number> = {}): ServerStats {
  return {
    at: process.hrtime.bigint().toString(),
    cpu: process.cpuUsage(),
    queries,
    statements: { ...statements },
  };
}

export function send(message: ServerMessage) {
  process.send?.(message);
}
