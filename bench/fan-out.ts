import { setTimeout as sleep } from 'node:timers/promises';
import superjson from 'superjson';
import { sessionCookie, signedInClient, uploadForm } from './api-client';
import { type BenchServer, startPhotogram, startServer } from './children';
import { createBenchDatabase, seededUser, seedFollowers, seedUsers } from './database';
import { smallJpeg } from './images';
import { elapsedMs, medianSummary, type Summary, summarize } from './stats';
import { SubscriberSet } from './subscribers';

export type FanOutServer = 'raw' | 'trpc-sse' | 'stock';

export interface FanOutResult {
  server: FanOutServer;
  subscribers: number;
  /** `SSE_TRANSPORT` as the server understood it (null: it does not know the variable). */
  transport: string | null;
  fanoutHook: string | null;
  /** Streams that never got their `connected` event. */
  connectFailures: number;
  connectSeconds: number;
  /** Streams that got the notification, and how many of those carried another post. */
  received: number;
  wrongPayload: number;
  /**
   * Milliseconds from the fan-out start to each subscriber's receipt: each statistic is
   * the median over the measured events (one event alone swings with the machine).
   */
  latency: Summary | null;
  /** Events measured. */
  events: number;
  before: NodeJS.MemoryUsage | null;
  after: NodeJS.MemoryUsage | null;
  error: string | null;
}

export interface FanOutOptions {
  databaseUrl: string | undefined;
  log(message: string): void;
}

// Enough calls for V8 to optimise the per-subscriber path before the measured event.
const WARM_UP_SUBSCRIBERS = 200;
const WARM_UP_EVENTS = 3;
const DELIVERY_TIMEOUT_MS = 120_000;
/** Events measured per row, one after another; the row shows the median of each statistic. */
const MEASURED_EVENTS = 5;
const author = seededUser('author', 1);

/** One server, N subscribers, one event: the row "fan-out" of the table. */
export async function runFanOut(
  server: FanOutServer,
  subscribers: number,
  options: FanOutOptions,
): Promise<FanOutResult> {
  const result: FanOutResult = {
    server,
    subscribers,
    transport: null,
    fanoutHook: null,
    connectFailures: 0,
    connectSeconds: 0,
    received: 0,
    wrongPayload: 0,
    latency: null,
    events: 0,
    before: null,
    after: null,
    error: null,
  };
  try {
    if (server === 'raw') await fanOutRaw(result, options);
    else await fanOutPhotogram(server, result, options);
  } catch (error: unknown) {
    result.error = error instanceof Error ? error.message : String(error);
    options.log(`  failed: ${result.error}`);
  }
  return result;
}

async function fanOutRaw(result: FanOutResult, options: FanOutOptions) {
  const server = await startServer('raw-sse-server.ts', {});
  try {
    await measure(server, result, options, {
      url: `${server.url}/events`,
      headersFor: () => ({}),
      trigger: async () => {
        const response = await fetch(`${server.url}/fanout`, { method: 'POST' });
        if (!response.ok) throw new Error(`POST /fanout answered ${response.status}`);
        return '1000'; // the post id in the baseline's fixed payload
      },
    });
  } finally {
    await server.stop();
  }
}

async function fanOutPhotogram(
  transport: 'trpc-sse' | 'stock',
  result: FanOutResult,
  options: FanOutOptions,
) {
  const n = result.subscribers;
  const database = await createBenchDatabase(`fanout_${transport}_${n}`, options.databaseUrl);
  try {
    // Subscribers and their sessions go straight into the database: the subscriptions and
    // the upload are what is measured, and they go through the real API.
    const seeding = await database.open();
    try {
      await seedUsers(seeding.db, 'author', 1);
      await seedUsers(seeding.db, 'sub', n);
      await seedFollowers(seeding.db, 'sub', n, author.id);
    } finally {
      await seeding.close();
    }
    const server = await startPhotogram(database, { SSE_TRANSPORT: transport, BUS: 'memory' });
    try {
      const client = signedInClient(server.url, author.session);
      const photo = await smallJpeg();
      // What httpSubscriptionLink puts in the URL; null: live events only, no replay.
      const input = encodeURIComponent(JSON.stringify(superjson.serialize({ lastEventId: null })));
      await measure(server, result, options, {
        url: `${server.url}/trpc/notifications.onUpload?input=${input}`,
        headersFor: (index) => ({ cookie: sessionCookie(seededUser('sub', index + 1).session) }),
        trigger: async (label) => {
          const post = await client.posts.upload.mutate(uploadForm(photo, `fan-out ${label}`));
          return post.id;
        },
      });
    } finally {
      await server.stop();
    }
  } finally {
    await database.remove();
  }
}

interface Target {
  url: string;
  headersFor(index: number): Record<string, string>;
  /** Makes the server fan out one event; resolves with the post id the event names. */
  trigger(label: string): Promise<string>;
}

/**
 * Warm-up (a few streams, a few events, so no row pays for compilation), memory
 * before, N streams, memory after, then `MEASURED_EVENTS` events one after another,
 * each timed until every stream has it.
 */
async function measure(
  server: BenchServer,
  result: FanOutResult,
  options: FanOutOptions,
  target: Target,
) {
  result.transport = server.ready.transport;
  result.fanoutHook = server.ready.fanoutHook;
  const n = result.subscribers;
  const streams = new SubscriberSet();
  const headers = (count: number) => Array.from({ length: count }, (_, i) => target.headersFor(i));

  try {
    const warm = Math.min(WARM_UP_SUBSCRIBERS, n);
    const warmFailures = await streams.connectInBatches(target.url, headers(warm));
    if (warmFailures > 0) {
      const failure = streams.all.find((stream) => stream.failure)?.failure;
      throw new Error(`${warmFailures} warm-up streams failed to connect: ${failure}`);
    }
    for (let round = 1; round <= WARM_UP_EVENTS; round++) {
      await target.trigger(`warm-up ${round}`);
      if (!(await streams.waitForEvents(warm * round, 30_000))) {
        throw new Error(`warm-up event ${round} was not delivered to every stream`);
      }
    }
    streams.closeAll();
    // Let the server notice the closed sockets and drop what they held.
    await sleep(1000);
    result.before = await server.memory();

    const connecting = performance.now();
    result.connectFailures = await streams.connectInBatches(target.url, headers(n));
    result.connectSeconds = (performance.now() - connecting) / 1000;
    if (result.connectFailures > 0) {
      const failure = streams.all.find((stream) => stream.failure)?.failure ?? 'no answer';
      options.log(`  ${result.connectFailures} of ${n} streams failed to connect: ${failure}`);
    }
    options.log(
      `  ${n - result.connectFailures} streams connected in ${result.connectSeconds.toFixed(1)} s`,
    );
    await sleep(500);
    result.after = await server.memory();
    options.log(`  server memory before: ${memoryLine(result.before)}`);
    options.log(`  server memory after:  ${memoryLine(result.after)}`);

    const expected = n - result.connectFailures;
    const summaries: Summary[] = [];
    for (let event = 1; event <= MEASURED_EVENTS; event++) {
      server.clearFanouts();
      const before = await server.stats();
      const postId = await target.trigger(`measured ${event}`);
      const complete = await streams.waitForEvents(expected * event, DELIVERY_TIMEOUT_MS);
      const start = await server.fanoutStart();
      const after = await server.stats();
      if (!complete) {
        options.log(
          `  event ${event}: only ${streams.events - expected * (event - 1)} of ${expected} streams got it`,
        );
      }
      const latencies: number[] = [];
      for (const stream of streams.all) {
        const receivedAt = stream.receipts[event - 1];
        if (receivedAt === undefined) continue;
        latencies.push(elapsedMs(start, receivedAt));
        if (event === 1 && !carriesPost(stream.data, postId)) result.wrongPayload += 1;
      }
      if (event === 1) result.received = latencies.length;
      else result.received = Math.min(result.received, latencies.length);
      summaries.push(summarize(latencies));
      const statements = Object.entries(after.statements)
        .map(
          ([statement, count]) => [statement, count - (before.statements[statement] ?? 0)] as const,
        )
        .filter(([, count]) => count > 0)
        .map(([statement, count]) => `${count} × ${statement}`);
      options.log(
        `  event ${event}: last ${summaries.at(-1)?.max.toFixed(1)} ms${statements.length > 0 ? `; the upload and its fan-out sent ${statements.join(', ')}` : ''}`,
      );
    }
    result.events = summaries.length;
    result.latency = medianSummary(summaries);
  } finally {
    // Also after a failure: the next server must not inherit this one's sockets.
    streams.closeAll();
  }
}

/** Whether an SSE data frame (superjson) is the notification of `postId`. */
function carriesPost(data: string | null, postId: string): boolean {
  try {
    const frame: unknown = JSON.parse(data ?? '');
    const json = typeof frame === 'object' && frame !== null && 'json' in frame ? frame.json : null;
    const post = typeof json === 'object' && json !== null && 'post' in json ? json.post : null;
    return typeof post === 'object' && post !== null && 'id' in post && post.id === postId;
  } catch {
    return false;
  }
}

function memoryLine(usage: NodeJS.MemoryUsage) {
  const mib = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
  return `heapUsed ${mib(usage.heapUsed)}, external ${mib(usage.external)} (arrayBuffers ${mib(usage.arrayBuffers)}), rss ${mib(usage.rss)}`;
}
