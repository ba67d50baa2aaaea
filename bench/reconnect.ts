import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  appRouter,
  createAuth,
  createCallerFactory,
  createContext,
  createLocalMediaStorage,
  createRateLimits,
  MemoryBus,
  StreamCaps,
} from '@photogram/api';
import superjson from 'superjson';
import { sessionCookie, signedInClient, uploadForm } from './api-client';
import { type BenchServer, freePort, startPhotogram } from './children';
import {
  type BenchDatabase,
  createBenchDatabase,
  seededUser,
  seedFollowers,
  seedUsers,
} from './database';
import { smallJpeg } from './images';
import type { ServerStats } from './ipc';
import { type ReconnectPolicy, ResumingSubscriberSet } from './resuming-subscribers';
import { elapsedMs, type Summary, summarize } from './stats';

export interface ReconnectResult {
  policy: ReconnectPolicy;
  subscribers: number;
  /** `SSE_TRANSPORT` as the restarted server understood it. */
  transport: string | null;
  /** Subscribers live again (connected, and any replayed events received). */
  live: number;
  /** Per subscriber, ms from the moment the restarted server listened until it was live. */
  timeToLive: Summary | null;
  /** Successful resumes (streams that got `connected`) in the storm. */
  resumes: number;
  /** Statements the server sent to the database from listening until all were live. */
  queries: number | null;
  statements: Record<string, number>;
  /** Server CPU (user + system) over the same span, and that span. */
  cpuMs: number | null;
  spanMs: number | null;
  /** SIGTERM until the old process exited, and until the new one listened. */
  shutdownMs: number;
  downtimeMs: number;
  /** Subscribers with something to replay, and the events each had to replay. */
  replaying: number;
  replayPerSubscriber: number;
  /** Connection attempts that failed (refused: the port was closed), over all subscribers. */
  failedAttempts: number;
  refused: number;
  /** The failed attempts by reason (`ECONNREFUSED`, `ECONNRESET`, …). */
  failures: Record<string, number>;
  /**
   * The kernel's counters over the storm (Linux, the whole machine): SYNs dropped
   * because a listen queue was full, and SYNs the clients sent again.
   */
  listenOverflows: number | null;
  synRetransmits: number | null;
  /** `herd`: ms from listening until the bench let everyone go (it learns over IPC). */
  releasedAfterMs: number | null;
  /** The bench's own CPU over the storm: its clients share the machine with the server. */
  benchCpuMs: number;
  /** The `retry:` values the streams had sent before the restart (ms). */
  retryMs: { min: number; max: number; missing: number } | null;
  error: string | null;
}

export interface ReconnectRun {
  subscribers: number;
  results: ReconnectResult[];
  /** Over the whole run, per subscriber, against the ids the database assigned. */
  lost: number;
  duplicated: number;
  outOfOrder: number;
  stopped: number;
  error: string | null;
}

export interface ReconnectOptions {
  databaseUrl: string | undefined;
  /** One restart per policy, in this order. */
  policies: readonly ReconnectPolicy[];
  log(message: string): void;
}

/** Every tenth subscriber follows the author who uploads while the server is down. */
const REPLAYING_SHARE = 10;
/** Uploads committed while the server is down, before each restart. */
const UPLOADS_WHILE_DOWN = 2;
/** Uploads every subscriber receives live first, so each resumes with a real id. */
const UPLOADS_BEFORE = 2;
const LIVE_TIMEOUT_MS = 120_000;

const author = seededUser('author', 1);
const awayAuthor = seededUser('away', 1);

/**
 * N signed-in subscribers of `notifications.onUpload` on Photogram (trpc-sse), each with
 * a few notifications received; then, once per policy, the server is restarted (SIGTERM,
 * the same port and database) with uploads committed while it is down, and every
 * subscriber resumes with its `Last-Event-ID`.
 */
export async function runReconnect(
  subscribers: number,
  options: ReconnectOptions,
): Promise<ReconnectRun> {
  const run: ReconnectRun = {
    subscribers,
    results: [],
    lost: 0,
    duplicated: 0,
    outOfOrder: 0,
    stopped: 0,
    error: null,
  };
  const { log } = options;
  const replaying = Math.ceil(subscribers / REPLAYING_SHARE);
  const database = await createBenchDatabase(`reconnect_${subscribers}`, options.databaseUrl);
  const env = { SSE_TRANSPORT: 'trpc-sse', BUS: 'memory' };
  let port = 0;
  let photo: Uint8Array = new Uint8Array();
  let server: BenchServer | null = null;
  let streams: ResumingSubscriberSet | null = null;
  try {
    const seeding = await database.open();
    try {
      await seedUsers(seeding.db, 'author', 1);
      await seedUsers(seeding.db, 'away', 1);
      await seedUsers(seeding.db, 'sub', subscribers);
      await seedFollowers(seeding.db, 'sub', subscribers, author.id);
      await seedFollowers(seeding.db, 'sub', replaying, awayAuthor.id);
    } finally {
      await seeding.close();
    }
    port = await freePort();
    server = await startPhotogram(database, env, { port });
    photo = await smallJpeg();

    // What httpSubscriptionLink puts in the URL for a first subscription; reconnects
    // keep the URL and send Last-Event-ID, as EventSource does.
    const input = encodeURIComponent(JSON.stringify(superjson.serialize({ lastEventId: null })));
    streams = new ResumingSubscriberSet(`${server.url}/trpc/notifications.onUpload?input=${input}`);
    const connecting = performance.now();
    await streams.connectInBatches(
      Array.from({ length: subscribers }, (_, i) => ({
        cookie: sessionCookie(seededUser('sub', i + 1).session),
      })),
    );
    log(
      `  ${subscribers} streams live in ${((performance.now() - connecting) / 1000).toFixed(1)} s`,
    );
    const client = signedInClient(server.url, author.session);
    for (let upload = 1; upload <= UPLOADS_BEFORE; upload++) {
      await client.posts.upload.mutate(uploadForm(photo, `before the restarts ${upload}`));
    }
    if (
      !(await streams.waitUntil(() => streams?.events === subscribers * UPLOADS_BEFORE, 60_000))
    ) {
      throw new Error(
        `only ${streams.events} of ${subscribers * UPLOADS_BEFORE} live events arrived`,
      );
    }

    for (const policy of options.policies) {
      const result = await storm(policy);
      run.results.push(result);
      if (result.error) break;
    }

    // Every subscriber's ids against what the database numbered for it: 1, 2, 3, …
    const restarts = run.results.length;
    streams.all.forEach((stream, index) => {
      const expected = UPLOADS_BEFORE + (index < replaying ? restarts * UPLOADS_WHILE_DOWN : 0);
      const distinct = new Set(stream.ids);
      run.duplicated += stream.ids.length - distinct.size;
      for (let seq = 1; seq <= expected; seq++) if (!distinct.has(seq)) run.lost += 1;
      for (let i = 1; i < stream.ids.length; i++) {
        if ((stream.ids[i] ?? 0) <= (stream.ids[i - 1] ?? 0)) run.outOfOrder += 1;
      }
    });
    run.stopped = streams.stopped;
  } catch (error: unknown) {
    run.error = error instanceof Error ? error.message : String(error);
    log(`  failed: ${run.error}`);
  } finally {
    streams?.closeAll();
    await server?.stop();
    await database.remove();
  }
  return run;

  async function storm(policy: ReconnectPolicy): Promise<ReconnectResult> {
    if (!server || !streams) throw new Error('no server');
    const set = streams;
    const retries = set.all.map((stream) => stream.retryMs).filter((ms) => ms !== null);
    const result: ReconnectResult = {
      policy,
      subscribers,
      transport: null,
      live: 0,
      timeToLive: null,
      resumes: 0,
      queries: null,
      statements: {},
      cpuMs: null,
      spanMs: null,
      shutdownMs: 0,
      downtimeMs: 0,
      replaying,
      replayPerSubscriber: UPLOADS_WHILE_DOWN,
      failedAttempts: 0,
      refused: 0,
      failures: {},
      listenOverflows: null,
      synRetransmits: null,
      releasedAfterMs: null,
      benchCpuMs: 0,
      retryMs:
        retries.length > 0
          ? {
              min: Math.min(...retries),
              max: Math.max(...retries),
              missing: subscribers - retries.length,
            }
          : null,
      error: null,
    };
    try {
      set.prepare(policy, (index) => (index < replaying ? UPLOADS_WHILE_DOWN : 0));
      const kernelBefore = await tcpCounters();
      const benchCpu = process.cpuUsage();
      const terminated = process.hrtime.bigint();
      const exit = await server.stop();
      result.shutdownMs = elapsedMs(terminated, process.hrtime.bigint());
      if (exit.code !== 0) {
        log(`  the server exited with ${exit.signal ?? `code ${exit.code}`} after SIGTERM`);
      }
      // Another instance would have taken these; PGlite allows one process per folder,
      // so the bench is that instance, between the two.
      await uploadWhileDown(database, photo, UPLOADS_WHILE_DOWN, `while down (${policy})`);
      server = await startPhotogram(database, env, { port });
      const listening = server.ready.stats;
      if (!listening) throw new Error('the server reported no stats when it listened');
      result.transport = server.ready.transport;
      const listenedAt = BigInt(listening.at);
      result.downtimeMs = elapsedMs(terminated, listenedAt);
      if (policy === 'herd') {
        // Everyone whose stream has dropped, which after the exit is everyone.
        await set.waitUntil(() => set.waiting === subscribers, 10_000);
        set.release();
        result.releasedAfterMs = elapsedMs(listenedAt, process.hrtime.bigint());
      }
      const complete = await set.waitUntil(() => set.live === subscribers, LIVE_TIMEOUT_MS);
      const done = await server.stats();
      const benchSpent = process.cpuUsage(benchCpu);
      result.benchCpuMs = (benchSpent.user + benchSpent.system) / 1000;
      const kernelAfter = await tcpCounters();
      if (kernelBefore && kernelAfter) {
        result.listenOverflows = kernelAfter.ListenOverflows - kernelBefore.ListenOverflows;
        result.synRetransmits = kernelAfter.TCPSynRetrans - kernelBefore.TCPSynRetrans;
      }
      result.failures = { ...set.failures };
      result.live = set.live;
      if (!complete) {
        const stuck = set.all.find((stream) => !stream.live);
        result.error = `only ${set.live} of ${subscribers} were live again after ${LIVE_TIMEOUT_MS / 1000} s (e.g. ${stuck?.lastDrop ?? 'no answer'})`;
      }
      const times: number[] = [];
      for (const stream of set.all) {
        if (stream.liveAt !== null) times.push(Math.max(0, elapsedMs(listenedAt, stream.liveAt)));
        if (stream.connectedAt !== null) result.resumes += 1;
        result.failedAttempts += stream.failedAttempts;
        result.refused += stream.refused;
      }
      result.timeToLive = times.length > 0 ? summarize(times) : null;
      Object.assign(result, spent(listening, done));
      log(
        `  ${policy}: down ${(result.downtimeMs / 1000).toFixed(1)} s (exit after ${(result.shutdownMs / 1000).toFixed(1)} s), all live ${result.timeToLive?.max.toFixed(0)} ms after listening, ${result.queries} statements for ${result.resumes} resumes, CPU ${result.cpuMs?.toFixed(0)} ms; ${result.failedAttempts} failed attempts (${JSON.stringify(result.failures)}); kernel: ${result.listenOverflows} listen-queue overflows, ${result.synRetransmits} SYN retransmits`,
      );
      for (const [statement, count] of Object.entries(result.statements)) {
        log(`    ${count} × ${statement}`);
      }
    } catch (error: unknown) {
      result.error = error instanceof Error ? error.message : String(error);
      log(`  ${policy} failed: ${result.error}`);
    }
    return result;
  }
}

/** `TcpExt` counters from /proc/net/netstat; null where there is none (not Linux). */
async function tcpCounters(): Promise<{ ListenOverflows: number; TCPSynRetrans: number } | null> {
  try {
    const lines = (await readFile('/proc/net/netstat', 'utf8'))
      .split('\n')
      .filter((line) => line.startsWith('TcpExt:'));
    const names = lines[0]?.split(/\s+/) ?? [];
    const values = lines[1]?.split(/\s+/) ?? [];
    const counter = (name: string) => Number(values[names.indexOf(name)]);
    const counters = {
      ListenOverflows: counter('ListenOverflows'),
      TCPSynRetrans: counter('TCPSynRetrans'),
    };
    return Number.isFinite(counters.ListenOverflows) && Number.isFinite(counters.TCPSynRetrans)
      ? counters
      : null;
  } catch {
    return null;
  }
}

/** What the server spent between two readings. */
function spent(before: ServerStats, after: ServerStats) {
  const statements: Record<string, number> = {};
  for (const [statement, count] of Object.entries(after.statements)) {
    const delta = count - (before.statements[statement] ?? 0);
    if (delta > 0) statements[statement] = delta;
  }
  const cpu = (usage: NodeJS.CpuUsage) => usage.user + usage.system;
  return {
    queries: after.queries - before.queries,
    statements,
    cpuMs: (cpu(after.cpu) - cpu(before.cpu)) / 1000,
    spanMs: elapsedMs(BigInt(before.at), BigInt(after.at)),
  };
}

/**
 * `count` uploads by the away author through the real API (`createCaller` on the same
 * database and media folder), as another instance would serve them while the measured
 * one is down; its bus has no subscribers, so they reach the clients only by replay.
 */
async function uploadWhileDown(
  database: BenchDatabase,
  photo: Uint8Array,
  count: number,
  caption: string,
) {
  const handle = await database.open();
  const bus = new MemoryBus();
  try {
    const origin = 'http://bench.invalid';
    const context = await createContext(
      {
        db: handle.db,
        auth: createAuth(handle.db, { secureCookies: false }),
        limits: createRateLimits(),
        media: createLocalMediaStorage(join(database.dataDir, 'media')),
        maxUploadBytes: 10 * 1024 * 1024,
        bus,
        streamCaps: new StreamCaps(),
        reportError: (error: unknown, message: string) => {
          throw new Error(message, { cause: error });
        },
      },
      {
        headers: new Headers({ cookie: sessionCookie(awayAuthor.session), origin }),
        ip: '127.0.0.1',
        allowedOrigins: [origin],
        setCookie: () => {},
        disconnect: () => {},
      },
    );
    const caller = createCallerFactory(appRouter)(context);
    for (let upload = 1; upload <= count; upload++) {
      await caller.posts.upload(uploadForm(photo, `${caption} ${upload}`));
    }
  } finally {
    await bus.close();
    await handle.close();
  }
}
