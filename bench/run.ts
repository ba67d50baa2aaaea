/**
 * `npm run bench`: fan-out, reconnect-storm, upload and feed measurements against real
 * servers started as child processes, printed as one table on stdout (progress goes to
 * stderr). Results are printed, not asserted. Knobs (read here only):
 *   BENCH_ONLY=fanout,reconnect,upload,feed,inbox,hostile,idle  which parts to run (default: all)
 *   BENCH_SUBSCRIBERS=1000,10000      fan-out and reconnect-storm sizes
 *   BENCH_SERVERS=raw,trpc-sse,stock  fan-out servers
 *   BENCH_RECONNECT=retry,herd        reconnect storms, one server restart each: clients
 *                                     that wait their retry:, and all at once
 *   BENCH_UPLOADS=20,40               sequential and 8-parallel upload counts
 *   BENCH_FEED_POSTS=1000000          posts seeded for the feed (10,000 users, 500 followed)
 *   BENCH_FEED_CALLS=200              measured feed.list calls
 *   BENCH_INBOX=300000,30             notifications of one person, and measured calls of each kind
 *   BENCH_HOSTILE=300,8               stalled sign-in bodies, and image bombs in flight
 *   BENCH_SERVER_ENV=K=V,…            more environment for the hostile-load server (e.g.
 *                                     MALLOC_MMAP_THRESHOLD_=131072, to compare allocators)
 *   BENCH_CPU_PROF=/tmp/prof          V8 CPU profiles of the servers, written when each exits
 *   BENCH_IDLE_SETTLE_MS=3000         how long the idle servers sit before each RSS reading
 *   DATABASE_URL=postgres://…         run on PostgreSQL (a fresh database per server) instead of PGlite;
 *                                     the idle part runs on both
 */
import { execFileSync } from 'node:child_process';
import { cpus, loadavg, totalmem } from 'node:os';
import { type FanOutResult, type FanOutServer, runFanOut } from './fan-out';
import { runFeed } from './feed';
import { runHostile } from './hostile';
import { runIdle } from './idle';
import { runInbox, VIRAL_LIKES } from './inbox';
import { type ReconnectRun, runReconnect } from './reconnect';
import type { Summary } from './stats';
import { type Column, formatTable, num } from './table';
import { runUploads } from './upload';

const PARTS = ['fanout', 'reconnect', 'upload', 'feed', 'inbox', 'hostile', 'idle'] as const;
const SERVERS = ['raw', 'trpc-sse', 'stock'] as const;
const POLICIES = ['retry', 'herd'] as const;

function list(name: string, fallback: string): string[] {
  const value = process.env[name]?.trim() || fallback;
  return value
    .split(',')
    .map((item) => item.trim())
    .filter(Boolean);
}

function numbers(name: string, fallback: string): number[] {
  return list(name, fallback).map((item) => {
    const value = Number(item.replaceAll('_', ''));
    if (!Number.isInteger(value) || value <= 0) {
      throw new Error(`${name} must be positive whole numbers separated by commas (got "${item}")`);
    }
    return value;
  });
}

function oneOf<T extends string>(name: string, allowed: readonly T[], fallback: string): T[] {
  return list(name, fallback).map((item) => {
    const found = allowed.find((candidate) => candidate === item);
    if (!found) throw new Error(`${name} takes ${allowed.join(', ')} (got "${item}")`);
    return found;
  });
}

const parts = oneOf('BENCH_ONLY', PARTS, PARTS.join(','));
const subscriberCounts = numbers('BENCH_SUBSCRIBERS', '1000,10000');
const servers = oneOf('BENCH_SERVERS', SERVERS, SERVERS.join(','));
const policies = oneOf('BENCH_RECONNECT', POLICIES, POLICIES.join(','));
const [sequentialUploads = 20, parallelUploads = 40] = numbers('BENCH_UPLOADS', '20,40');
const [feedPosts = 1_000_000] = numbers('BENCH_FEED_POSTS', '1000000');
const [feedCalls = 200] = numbers('BENCH_FEED_CALLS', '200');
const [inboxNotifications = 300_000, inboxCalls = 30] = numbers('BENCH_INBOX', '300000,30');
const [hostileStalled = 300, hostileBombs = 8] = numbers('BENCH_HOSTILE', '300,8');
const [idleSettleMs = 3_000] = numbers('BENCH_IDLE_SETTLE_MS', '3000');
const databaseUrl = process.env.DATABASE_URL || undefined;

const log = (message: string) => process.stderr.write(`${message}\n`);
const MiB = 1024 * 1024;
const runStarted = performance.now();
// Other work on the machine skews every row; the footer shows how busy it was.
const loadAtStart = loadavg()[0] ?? 0;

const fanOuts: FanOutResult[] = [];
const reconnects: ReconnectRun[] = [];

/**
 * Runs one part of the bench if it was asked for: its result, or why it failed (the
 * notes say so; the other parts still run).
 */
async function runPart<T>(
  name: (typeof PARTS)[number],
  label: string,
  run: () => Promise<T>,
): Promise<{ result: T | null; error: string | null }> {
  if (!parts.includes(name)) return { result: null, error: null };
  log(label);
  try {
    return { result: await run(), error: null };
  } catch (error: unknown) {
    const message = error instanceof Error ? error.message : String(error);
    log(`  failed: ${message}`);
    return { result: null, error: message };
  }
}

if (parts.includes('fanout')) {
  for (const subscribers of subscriberCounts) {
    for (const server of servers) {
      log(`fan-out: ${server}, ${subscribers.toLocaleString('en-US')} subscribers`);
      fanOuts.push(await runFanOut(server, subscribers, { databaseUrl, log }));
    }
  }
}
if (parts.includes('reconnect')) {
  for (const subscribers of subscriberCounts) {
    log(`reconnect storm: ${subscribers.toLocaleString('en-US')} subscribers`);
    reconnects.push(await runReconnect(subscribers, { databaseUrl, policies, log }));
  }
}
const { result: uploads, error: uploadError } = await runPart('upload', 'upload', () =>
  runUploads({
    databaseUrl,
    sequential: sequentialUploads,
    parallel: parallelUploads,
    concurrency: 8,
    log,
  }),
);
const { result: feed, error: feedError } = await runPart('feed', 'feed', () =>
  runFeed({
    databaseUrl,
    users: 10_000,
    posts: feedPosts,
    following: 500,
    calls: feedCalls,
    log,
  }),
);
const { result: inbox, error: inboxError } = await runPart('inbox', 'inbox', () =>
  runInbox({ databaseUrl, notifications: inboxNotifications, calls: inboxCalls, log }),
);
const { result: hostile, error: hostileError } = await runPart('hostile', 'hostile load', () =>
  runHostile({
    databaseUrl,
    stalled: hostileStalled,
    inFlight: hostileBombs,
    windowMs: 4_000,
    serverEnv: Object.fromEntries(
      list('BENCH_SERVER_ENV', ' ').map((pair) => {
        const eq = pair.indexOf('=');
        return [pair.slice(0, eq), pair.slice(eq + 1)];
      }),
    ),
    log,
  }),
);
const idleRun = await runPart('idle', 'idle', () =>
  runIdle({ databaseUrl, settleMs: idleSettleMs, log }),
);
const idle = idleRun.result ?? [];
const idleError = idleRun.error;

// ——— the table ———

const columns: Column[] = [
  { title: 'what' },
  { title: 'server' },
  { title: 'n', align: 'right' },
  { title: 'first/min ms', align: 'right' },
  { title: 'p50 ms', align: 'right' },
  { title: 'p99 ms', align: 'right' },
  { title: 'last/max ms', align: 'right' },
  { title: 'last ÷ raw', align: 'right' },
  { title: 'per s', align: 'right' },
  { title: 'heap+ext KiB/sub', align: 'right' },
  { title: 'RSS KiB/sub', align: 'right' },
  { title: 'db trips/resume', align: 'right' },
  { title: 'server CPU ms', align: 'right' },
  { title: 'server RSS MiB', align: 'right' },
];
const rows: string[][] = [];
const notes: string[] = [];
const count = (value: number) => value.toLocaleString('en-US');

function latencyCells(latency: Summary | null) {
  return [latency?.min, latency?.p50, latency?.p99, latency?.max].map((value) => num(value));
}

const serverNames: Record<FanOutServer, string> = {
  raw: 'node:http raw SSE',
  'trpc-sse': 'Photogram trpc-sse',
  stock: 'Photogram stock adapter',
};

for (const result of fanOuts) {
  const raw = fanOuts.find((r) => r.server === 'raw' && r.subscribers === result.subscribers);
  const connected = result.subscribers - result.connectFailures;
  const perSubscriber = (pick: (usage: NodeJS.MemoryUsage) => number) =>
    result.before && result.after && connected > 0
      ? (pick(result.after) - pick(result.before)) / connected / 1024
      : null;
  let server = serverNames[result.server];
  if (result.server !== 'raw' && result.transport !== result.server) {
    server += ' *';
    notes.push(
      `* ${serverNames[result.server]}, ${count(result.subscribers)}: the server reported SSE_TRANSPORT=${result.transport ?? '(unknown to it)'}, so this row ran on its default path.`,
    );
  }
  const complete = result.received === result.subscribers;
  const lastVsRaw =
    raw?.latency && result.latency && raw.received > 0 && result.received > 0
      ? `${num(result.latency.max / raw.latency.max, 2)}×`
      : '—';
  rows.push([
    'fan-out: an upload → N SSE subscribers',
    server,
    complete ? count(result.subscribers) : `${count(result.received)}/${count(result.subscribers)}`,
    ...latencyCells(result.latency),
    lastVsRaw,
    '—',
    num(perSubscriber((usage) => usage.heapUsed + usage.external)),
    num(perSubscriber((usage) => usage.rss)),
    '—',
    '—',
  ]);
  const label = `${serverNames[result.server]}, ${count(result.subscribers)} subscribers`;
  if (result.error) notes.push(`${label}: failed: ${result.error}`);
  if (result.connectFailures > 0) {
    notes.push(`${label}: ${count(result.connectFailures)} streams never connected.`);
  }
  if (!complete && !result.error) {
    notes.push(`${label}: only ${count(result.received)} streams received the event.`);
  }
  if (result.wrongPayload > 0) {
    notes.push(`${label}: ${count(result.wrongPayload)} streams received some other event.`);
  }
}

const transportName = (transport: string | null) =>
  `Photogram ${transport ?? '(default transport)'}`;

/** `, 12 ECONNRESET` for the reasons not in `skip`. */
function failureList(failures: Record<string, number>, skip: readonly string[]) {
  return Object.entries(failures)
    .filter(([reason]) => !skip.includes(reason))
    .map(([reason, n]) => `, ${count(n)} ${reason}`)
    .join('');
}

const stormNames = {
  retry: 'reconnect storm: restart, N resume after retry',
  herd: 'reconnect storm: restart, N resume at once',
} as const;
for (const run of reconnects) {
  const label = `reconnect storm, ${count(run.subscribers)} subscribers`;
  for (const result of run.results) {
    const all = result.timeToLive?.max;
    const cpuShare =
      result.cpuMs !== null && result.spanMs
        ? ` (${num((100 * result.cpuMs) / result.spanMs, 0)}%)`
        : '';
    rows.push([
      stormNames[result.policy],
      transportName(result.transport),
      result.live === result.subscribers
        ? count(result.subscribers)
        : `${count(result.live)}/${count(result.subscribers)}`,
      ...latencyCells(result.timeToLive),
      '—',
      all ? num(result.resumes / (all / 1000), 0) : '—',
      '—',
      '—',
      result.queries !== null && result.resumes > 0 ? num(result.queries / result.resumes, 2) : '—',
      result.cpuMs !== null ? `${num(result.cpuMs, 0)}${cpuShare}` : '—',
    ]);
    const retry = result.retryMs
      ? `retry: ${count(result.retryMs.min)}–${count(result.retryMs.max)} ms${result.retryMs.missing > 0 ? `, ${count(result.retryMs.missing)} streams sent none` : ''}`
      : 'no stream sent retry:';
    notes.push(
      `${label}, ${result.policy}: SIGTERM to exit ${num(result.shutdownMs / 1000)} s, to listening again ${num(result.downtimeMs / 1000)} s${result.releasedAfterMs !== null ? `, herd let go ${num(result.releasedAfterMs)} ms after listening` : ''}; bench CPU over the storm ${count(Math.round(result.benchCpuMs))} ms; ${count(result.replaying)} subscribers had ${result.replayPerSubscriber} uploads to replay; ${retry}; ${count(result.failedAttempts)} connection attempts failed (${count(result.refused)} refused while down${failureList(result.failures, ['ECONNREFUSED'])})${result.listenOverflows ? `; the kernel's accept queues overflowed ${count(result.listenOverflows)} times (TcpExt ListenOverflows, machine-wide; TCPSynRetrans +${count(result.synRetransmits ?? 0)})` : ''}; ${result.queries ?? '?'} statements for ${count(result.resumes)} resumes (${Object.entries(
        result.statements,
      )
        .map(([statement, n]) => `${count(n)} ${statement}`)
        .join(', ')}).`,
    );
    if (result.error) notes.push(`${label}, ${result.policy}: ${result.error}`);
  }
  if (run.error) notes.push(`${label}: failed: ${run.error}`);
  if (run.lost + run.duplicated + run.outOfOrder + run.stopped > 0) {
    notes.push(
      `${label}: over the restarts ${count(run.lost)} notifications lost, ${count(run.duplicated)} received twice, ${count(run.outOfOrder)} out of order, ${count(run.stopped)} streams stopped by an error or return.`,
    );
  }
}
if (uploads) {
  const megabytes = (uploads.photoBytes / 1024 / 1024).toFixed(1);
  const modeName = (result: { mode: string; concurrency: number }) =>
    result.mode === 'sequential' ? 'one at a time' : `${result.concurrency} in parallel`;
  for (const result of uploads.results) {
    const floor = uploads.sharpAlone.find((alone) => alone.mode === result.mode);
    const ratio =
      floor && floor.latency.p50 > 0 ? `${num(result.latency.p50 / floor.latency.p50, 2)}×` : '—';
    rows.push([
      `upload: 12 MP JPEG (${megabytes} MiB), ${modeName(result)}`,
      transportName(uploads.transport),
      count(result.latency.count),
      ...latencyCells(result.latency),
      ratio,
      num(result.perSecond, 2),
      '—',
      '—',
      '—',
      '—',
    ]);
    if (result.failures > 0) {
      notes.push(`upload, ${result.mode}: ${result.failures} failed, e.g. ${result.firstFailure}`);
    }
    if (floor) {
      notes.push(
        `upload, ${modeName(result)}: p50 ${num(result.latency.p50 / floor.latency.p50, 2)}× sharp alone's, throughput ${num(floor.perSecond / result.perSecond, 2)}× below it.`,
      );
    }
  }
  for (const result of uploads.sharpAlone) {
    rows.push([
      `sharp alone: the same two variants, ${modeName(result)}`,
      'bench process, no server',
      count(result.latency.count),
      ...latencyCells(result.latency),
      '1×',
      num(result.perSecond, 2),
      '—',
      '—',
      '—',
      '—',
    ]);
  }
  if (uploads.distinctDisplay < uploads.uploads) {
    notes.push(
      `upload: only ${uploads.distinctDisplay} of ${uploads.uploads} uploads stored a new display image.`,
    );
  }
} else if (uploadError) {
  notes.push(`upload: failed: ${uploadError}`);
}

if (feed) {
  const { social, plain } = feed.direct;
  const vsPlain = (latency: Summary) =>
    plain.p50 > 0 ? `${num(latency.p50 / plain.p50, 2)}×` : '—';
  const feedRow = (
    what: string,
    server: string,
    latency: Summary,
    ratio: string,
    perSecond: string,
  ) =>
    rows.push([
      what,
      server,
      count(latency.count),
      ...latencyCells(latency),
      ratio,
      perSecond,
      '—',
      '—',
      '—',
      '—',
    ]);
  feedRow(
    `feed.list (limit 20): follows ${count(feed.following)}, ${count(feed.posts)} posts`,
    transportName(feed.transport),
    feed.latency,
    vsPlain(feed.latency),
    num(feed.perSecond, 0),
  );
  feedRow(
    'feed page straight from the database, with likes and comments',
    'bench process, no server',
    social,
    vsPlain(social),
    '—',
  );
  feedRow(
    'feed page straight from the database, before likes and comments',
    'bench process, no server',
    plain,
    '1×',
    '—',
  );
  notes.push(
    `feed: p95 ${num(feed.latency.p95)} ms through feed.list, ${num(social.p95)} ms straight with the social columns, ${num(plain.p95)} ms without; ${count(feed.likes)} likes seeded.`,
  );
  if (feed.pageSize !== 20) notes.push(`feed: the first page had ${feed.pageSize} items, not 20.`);
} else if (feedError) {
  notes.push(`feed: failed: ${feedError}`);
}

if (inbox) {
  const ratio = (latency: Summary, baseline: Summary) =>
    baseline.p50 > 0 ? `${num(latency.p50 / baseline.p50, 3)}×` : '—';
  const inboxRow = (what: string, server: string, latency: Summary, vs: string) =>
    rows.push([
      what,
      server,
      count(latency.count),
      ...latencyCells(latency),
      vs,
      '—',
      '—',
      '—',
      '—',
      '—',
    ]);
  const of = `${count(inbox.notifications)} notifications, ${count(inbox.rows)} rows`;
  const server = transportName(inbox.transport);
  const straight = 'bench process, no server';
  inboxRow(
    `notifications.groups (limit 20), first page: ${of}`,
    server,
    inbox.firstPage,
    ratio(inbox.firstPage, inbox.before.page),
  );
  inboxRow(
    'notifications.groups (limit 20), a page half way down',
    server,
    inbox.deepPage,
    ratio(inbox.deepPage, inbox.before.page),
  );
  inboxRow('inbox page grouped whole (before)', straight, inbox.before.page, '1×');
  inboxRow(
    `notifications.groups (limit 20), first page: one group of ${count(VIRAL_LIKES)} likes under 19 uploads`,
    server,
    inbox.viralPage,
    ratio(inbox.viralPage, inbox.before.viralPage),
  );
  inboxRow('that inbox page grouped whole (before)', straight, inbox.before.viralPage, '1×');
  inboxRow(
    `notifications.unreadCount: ${count(inbox.unread)} unread`,
    server,
    inbox.unreadCount,
    ratio(inbox.unreadCount, inbox.before.unreadCount),
  );
  inboxRow(
    'unread rows counted whole (before the bound)',
    straight,
    inbox.before.unreadCount,
    '1×',
  );
  notes.push(
    `inbox: the server's first page had ${inbox.pageSize} rows; its badge said ${count(inbox.badge.count)}${inbox.badge.capped ? ' (capped)' : ''}.`,
  );
} else if (inboxError) {
  notes.push(`inbox: failed: ${inboxError}`);
}

if (hostile) {
  const what = {
    idle: 'hostile load: /healthz, idle',
    stalled: `hostile load: /healthz, ${count(hostileStalled)} stalled bodies`,
    bombs: `hostile load: /healthz, ${count(hostileStalled)} stalled bodies + ${hostileBombs} bombs in flight`,
    heavy: `hostile load: /healthz, ${count(hostileStalled)} stalled bodies + ${hostileBombs} 24 MP progressive photos in flight`,
  } as const;
  for (const figures of hostile.phases) {
    rows.push([
      what[figures.phase],
      transportName(null),
      count(figures.health.count),
      ...latencyCells(figures.health),
      '—',
      '—',
      '—',
      '—',
      '—',
      '—',
      `${num(figures.rssBeforeMiB, 0)} → ${num(figures.rssPeakMiB, 0)} → ${num(figures.rssAfterMiB, 0)}`,
    ]);
    if (figures.phase === 'idle') continue;
    const answers = Object.entries(figures.answers)
      .map(([status, n]) => `${count(n)} × ${status}`)
      .join(', ');
    notes.push(
      `hostile load, ${figures.phase}: RSS +${num(figures.rssPeakMiB - figures.rssBeforeMiB, 0)} MiB at peak over the idle figure, +${num(figures.rssAfterMiB - figures.rssBeforeMiB, 0)} MiB kept after gc(); ${count(figures.uploads)} uploads answered ${answers || 'nothing'}; ${count(figures.stalledOpen)} of ${count(figures.stalled)} stalled bodies still open at the end of the window${figures.healthFailures > 0 ? `; ${count(figures.healthFailures)} /healthz calls failed` : ''}.`,
    );
  }
} else if (hostileError) {
  notes.push(`hostile load: failed: ${hostileError}`);
}

const engineNames = { pglite: 'embedded PGlite', postgres: 'PostgreSQL' } as const;
for (const run of idle) {
  const baseline = idle.find((other) => other.database === 'postgres' && other.start === run.start);
  rows.push([
    `idle server: ${engineNames[run.database]}, ${run.start === 'new' ? 'a new database' : 'restarted on it'}`,
    transportName(run.transport),
    '—',
    '—',
    '—',
    '—',
    '—',
    baseline ? `${num(run.warmMiB / baseline.warmMiB, 2)}×` : '—',
    '—',
    '—',
    '—',
    '—',
    '—',
    `${num(run.startedMiB, 0)} → ${num(run.warmMiB, 0)}`,
  ]);
  notes.push(
    `idle server, ${engineNames[run.database]}, ${run.start === 'new' ? 'new database' : 'restarted'}: at most ${num(run.peakMiB, 0)} MiB (VmHWM), V8 heap ${num(run.heapUsedMiB, 0)} MiB after gc() at the end.`,
  );
}
if (idleError) notes.push(`idle server: failed: ${idleError}`);
if (parts.includes('idle') && !databaseUrl) {
  notes.push('idle server: PostgreSQL not measured (no DATABASE_URL), so no ratio.');
}

const seconds = Math.round((performance.now() - runStarted) / 1000);
/** The commit measured, and whether the working tree differed from it. */
function revision(): string {
  try {
    const git = (...args: string[]) => execFileSync('git', args, { encoding: 'utf8' }).trim();
    return `commit ${git('rev-parse', '--short', 'HEAD')}${git('status', '--porcelain') ? ' + local changes' : ''}`;
  } catch {
    return 'not a git checkout';
  }
}
const cpu = cpus();
const engine = databaseUrl
  ? 'PostgreSQL (DATABASE_URL; a fresh database per server)'
  : 'embedded PGlite (a fresh one per server)';
const footer = [
  `Node ${process.version} on ${process.platform} ${process.arch}, ${revision()}, ${cpu.length} × ${cpu[0]?.model.trim() ?? 'CPU'}, ${Math.round(totalmem() / 1024 ** 3)} GiB · ${engine} · bus: memory · ${new Date().toISOString()} · took ${Math.floor(seconds / 60)} min ${seconds % 60} s · load average (1 min) ${num(loadAtStart, 2)} at start, ${num(loadavg()[0], 2)} at end`,
  'fan-out: ms from the moment the server starts fanning out (MemoryBus.deliver; for raw, its write loop) until each subscriber has the data frame (process.hrtime.bigint(), one monotonic clock for all processes). Subscribers are bare node:http GETs with a session cookie, all in the bench process; each server is its own child process. Five uploads by the followed author through posts.upload, one after another, after a warm-up (200 streams, 3 events); each statistic is the median over the five.',
  'memory: the server process after gc(), all N streams connected minus before any, per stream: heapUsed+external, and RSS. last ÷ raw: last against raw SSE at the same N.',
  `reconnect storm: N signed-in subscribers on trpc-sse, each having received 2 notifications live; the server is restarted twice (SIGTERM, then the same port and database) while a tenth of them get 2 uploads through another API instance, and every subscriber reconnects with Last-Event-ID as EventSource does: after the retry: its stream sent (again after each refused attempt), or, for the herd, all at once the moment the server listens. ms: from the moment the restarted server listens until each subscriber has connected and received what it missed; per s: resumes ÷ time until all were live. db trips/resume: statements the server sent to the database over that span (drizzle, counted on @photogram/db's diagnostics channel) ÷ resumes. server CPU ms: process.cpuUsage() of the server over the same span (in brackets: of one core's time; above 100% when V8's GC and compiler threads work beside the main one). A connection the server's accept queue has no room for (Node's default backlog, 511) is dropped by the kernel, and the client sends its SYN again 1, 3, 7, 15, 31, 63 s later: that stretches the tails well past the server's own work.`,
  hostile
    ? `hostile load: one server; /healthz called one after another (20 ms apart) for 4 s in each window: idle; then with ${count(hostileStalled)} POST /trpc/auth.signIn that promise 4 KiB of body, send 20 bytes and stall, and ${hostileBombs} uploads kept in flight (each answered one replaced at once) of a 10000×10000 progressive JPEG (${num(hostile.bombBytes / MiB, 2)} MiB); then the same with a 6000×4000 progressive JPEG with photo-like detail (${num(hostile.heavyBytes / MiB, 2)} MiB), which is really decoded. server RSS MiB: before the window (after gc()) → highest sampled from /proc every 10 ms → after the window (after gc()).`
    : '',
  "upload: posts.upload through the typed client (FormData), request to response; per s: uploads ÷ wall time; last ÷ raw here is p50 ÷ the p50 of sharp alone making the same two variants (1080 and 320 px WebP, one pipeline each, both at once) from the same photos in the bench process, measured in the same run. feed: feed.list first page through the typed client; per s: calls ÷ wall time; before the server starts, the same page is read straight from the database in the bench process (the query selectPosts builds, with and without the columns issue 14 added: like and comment counts, likedByMe, the author's avatar), the two in turns; last ÷ raw for the feed rows is p50 ÷ the p50 of the page without them. Seeded: three likes on each of the newest 100,000 posts and the viewer's like on every third post of the people they follow, like_count set to match. inbox: one person's inbox, a third uploads (a row each) and the rest likes of their 200 posts grouped every 3,000 notifications, the newest tenth unread, written straight in, and a second person's: one post's 100,000 likes in one group under 19 uploads; notifications.groups and unreadCount through the typed client, one call after another; last ÷ raw is p50 ÷ the p50 of the statement each ran before (the page grouped the whole inbox, the badge counted every unread notification), read straight from the database in the bench process before the server starts.",
  parts.includes('idle')
    ? `idle server: Photogram as the bench starts it (node --import tsx, bus: memory, with the bench's IPC hooks; npm start adds tsx's own CLI process), each on a database of its own, started on it and then restarted on it; server RSS MiB: VmRSS from /proc ${num(idleSettleMs / 1000)} s after it listens → ${num(idleSettleMs / 1000)} s after a warm-up (a person signs up, uploads a small photo and reads five feed pages), no gc() forced; last ÷ raw here: the warm figure ÷ PostgreSQL's in the same run.`
    : '',
  `rerun: npm run bench · one part: BENCH_ONLY=fanout|reconnect|upload|feed|inbox|hostile|idle npm run bench · fan-out size/servers: BENCH_SUBSCRIBERS=10000 BENCH_SERVERS=raw,trpc-sse,stock · on PostgreSQL: DATABASE_URL=postgres://…`,
];

const padded = rows.map((row) => [
  ...row,
  ...Array.from({ length: columns.length - row.length }, () => '—'),
]);
process.stdout.write(
  `${formatTable(columns, padded)}\n\n${[...notes, ...footer.filter(Boolean)].join('\n')}\n`,
);
