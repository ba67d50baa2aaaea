/**
 * Messages between the bench and the servers it starts. Times are
 * `process.hrtime.bigint()` (CLOCK_MONOTONIC, the same clock in every process) as
 * decimal strings, since bigints do not survive IPC's JSON.
 */
export type ServerMessage =
  | {
      type: 'ready';
      /** `SSE_TRANSPORT` as the server parsed it; null when the server does not know it. */
      transport: string | null;
      /** What the fan-out start is taken from, e.g. `MemoryBus.deliver`. */
      fanoutHook: string;
      /** The port, when the server chose it itself. */
      port?: number | undefined;
    }
  | { type: 'fanout'; at: string }
  | { type: 'memory'; usage: NodeJS.MemoryUsage };

export type BenchMessage = { type: 'memory' };

export function isServerMessage(value: unknown): value is ServerMessage {
  return typeof value === 'object' && value !== null && 'type' in value;
}

export function isBenchMessage(value: unknown): value is BenchMessage {
  return typeof value === 'object' && value !== null && 'type' in value && value.type === 'memory';
}

/** Answers `{ type: 'memory' }` with the process's memory after two full collections. */
export function answerMemoryRequests() {
  process.on('message', (message: unknown) => {
    if (!isBenchMessage(message)) return;
    // Twice: the first collection can leave finalizer-held objects for the second.
    globalThis.gc?.();
    globalThis.gc?.();
    send({ type: 'memory', usage: process.memoryUsage() });
  });
  // Without the bench (it crashed or was killed) nobody will ever stop this server.
  process.on('disconnect', () => process.kill(process.pid, 'SIGTERM'));
}

export function send(message: ServerMessage) {
  process.send?.(message);
}
