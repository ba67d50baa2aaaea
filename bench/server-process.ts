/**
 * Photogram's real server (`apps/server/src/main.ts`, exactly as `npm start` runs it) in a
 * child process of the bench, instrumented over IPC:
 * - `{ type: 'memory' }` is answered with `process.memoryUsage()` after `gc()`;
 * - `{ type: 'stats' }` with the process's CPU time and the statements it has sent to the
 *   database (counted on `@photogram/db`'s diagnostics channel, `QUERY_CHANNEL`);
 * - the moment the bus starts delivering an upload to this process's subscribers is
 *   reported as `{ type: 'fanout', at }`, so the bench can time the fan-out from there.
 *
 * Started as `node --expose-gc --import tsx bench/server-process.ts` with PORT, DATA_DIR,
 * LOG_LEVEL, SSE_TRANSPORT and optionally DATABASE_URL.
 */
import { subscribe } from 'node:diagnostics_channel';
import { MemoryBus, type UploadEvent } from '@photogram/api';
import { QUERY_CHANNEL } from '@photogram/db';
import { loadEnv } from '../apps/server/src/env';
import { answerBenchRequests, readStats, send } from './ipc';

let queries = 0;
const statements: Record<string, number> = {};
subscribe(QUERY_CHANNEL, (message: unknown) => {
  queries += 1;
  const query =
    typeof message === 'object' && message !== null && 'query' in message
      ? String(message.query)
      : '';
  const kind = statementKind(query);
  statements[kind] = (statements[kind] ?? 0) + 1;
});
answerBenchRequests(() => readStats(queries, statements));

/** `select … from "sessions"`: the verb and the first table, enough to tell statements apart. */
function statementKind(query: string): string {
  const verb = query.trimStart().split(/\s/, 1)[0]?.toLowerCase() ?? '?';
  const table = /\b(?:from|into|update)\s+"?([a-z_]+)"?/i.exec(query)?.[1];
  return table ? `${verb} … ${table}` : verb;
}

// `@photogram/api` resolves to the same module instance main.ts imports, so patching the
// prototype reaches the bus main.ts creates (PostgresBus delivers through one as well).
const prototype: Partial<Pick<MemoryBus, 'deliver' | 'publish'>> = MemoryBus.prototype;
const hookName = typeof prototype.deliver === 'function' ? 'deliver' : 'publish';
const original: ((this: MemoryBus, event: UploadEvent) => unknown) | undefined =
  prototype[hookName];
if (typeof original !== 'function') throw new Error('MemoryBus has neither deliver nor publish');
Object.defineProperty(MemoryBus.prototype, hookName, {
  configurable: true,
  writable: true,
  value: function timedDelivery(this: MemoryBus, event: UploadEvent) {
    send({ type: 'fanout', at: process.hrtime.bigint().toString() });
    return original.call(this, event);
  },
});

// A dynamic import with a computed specifier: main.ts is a script (top-level await,
// listens on import) and must run after the patch above, not be hoisted before it.
const main = new URL('../apps/server/src/main.ts', import.meta.url).href;
await import(main);
// Read before this turn of the event loop ends, so before any request is served: what
// the server spent starting (migrations included) is not counted against what follows.
const listening = readStats(queries, statements);

// main.ts has parsed the same environment; an older server drops SSE_TRANSPORT as unknown.
const env: object = loadEnv();
const transport = 'SSE_TRANSPORT' in env ? String(env.SSE_TRANSPORT) : null;
send({ type: 'ready', transport, fanoutHook: `MemoryBus.${hookName}`, stats: listening });
