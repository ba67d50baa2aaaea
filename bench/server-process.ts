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
import { DELIVER_CHANNEL } from '@photogram/api';
import { QUERY_CHANNEL } from '@photogram/db';
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

// The bus announces each delivery on a diagnostics channel (PostgresBus delivers through
// a MemoryBus as well), so nothing of the server is patched.
subscribe(DELIVER_CHANNEL, () => {
  send({ type: 'fanout', at: process.hrtime.bigint().toString() });
});

// A dynamic import: main.ts is a script (top-level await, listens on import) and must run
// after the subscriptions above, not be hoisted before them.
await import('@photogram/server/main');
// Read before this turn of the event loop ends, so before any request is served: what
// the server spent starting (migrations included) is not counted against what follows.
const listening = readStats(queries, statements);

// main.ts has parsed and accepted the same environment: its default is trpc-sse.
const transport = process.env.SSE_TRANSPORT || 'trpc-sse';
send({ type: 'ready', transport, fanoutHook: DELIVER_CHANNEL, stats: listening });
