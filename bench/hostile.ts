import { readFile } from 'node:fs/promises';
import { connect, type Socket } from 'node:net';
import { TRPCClientError } from '@trpc/client';
import sharp from 'sharp';
import { signedInClient, uploadForm } from './api-client';
import { type BenchServer, startPhotogram } from './children';
import { createBenchDatabase, seededUser, seedUsers } from './database';
import { smallJpeg } from './images';
import { type Summary, summarize } from './stats';

/** What the server looked like over one window. */
export interface HostileFigures {
  phase: 'idle' | 'stalled' | 'bombs' | 'heavy';
  /** `/healthz` round trips, one after another, over the window. */
  health: Summary;
  /** Non-200 answers (or failed requests) to `/healthz`. */
  healthFailures: number;
  /** The server's RSS: before the window (after gc()), and the highest sampled in it. */
  rssBeforeMiB: number;
  rssPeakMiB: number;
  /** After the window and gc(): what the server kept. */
  rssAfterMiB: number;
  /** Stalled bodies still open at the end of the window, of `stalled`. */
  stalledOpen: number;
  stalled: number;
  /** Uploads sent over the window, and how they were answered (HTTP status: count). */
  uploads: number;
  answers: Record<string, number>;
}

export interface HostileRun {
  bombBytes: number;
  heavyBytes: number;
  phases: HostileFigures[];
}

export interface HostileOptions {
  databaseUrl: string | undefined;
  /** Stalled `auth.signIn` bodies held open during each hostile window. */
  stalled: number;
  /** Uploads kept in flight during each hostile window. */
  inFlight: number;
  /** How long each window lasts; the server cuts an idle body off at 10 s. */
  windowMs: number;
  /** More environment for the server, e.g. `MALLOC_MMAP_THRESHOLD_` to compare allocators. */
  serverEnv: Record<string, string>;
  log(message: string): void;
}

const MiB = 1024 * 1024;
/**
 * Each worker takes the next of its own uploaders for every upload: one in flight per
 * person (under the per-client cap), and a window's few hundred uploads spread under the
 * hourly rate limit (60 per person).
 */
const UPLOADERS_PER_WORKER = 8;

/** The server process's resident set, from /proc (Linux). */
async function rssMiB(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const kib = Number(/^VmRSS:\s+(\d+)/m.exec(status)?.[1] ?? Number.NaN);
  return kib / 1024;
}

/**
 * A sign-in whose body never comes: its headers promise 4 KiB, 20 bytes arrive, then
 * nothing. Resolves once those bytes are written; `open()` says whether the server has
 * closed it yet.
 */
async function stalledBody(url: URL): Promise<{ socket: Socket; open(): boolean }> {
  const socket = connect(Number(url.port), url.hostname);
  let closed = false;
  socket.on('close', () => {
    closed = true;
  });
  // The server answers 408 and closes; that is what is measured, not an error.
  socket.on('error', () => {
    closed = true;
  });
  socket.resume();
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  socket.write(
    `POST /trpc/auth.signIn HTTP/1.1\r\nHost: ${url.host}\r\nContent-Type: application/json\r\nContent-Length: 4096\r\n\r\n{"username":"nobody"`,
  );
  return { socket, open: () => !closed };
}

/**
 * The hostile-load row of issue 11: server RSS and `/healthz` latency idle, then while
 * `stalled` sign-in bodies stall and `inFlight` image bombs (10000×10000 progressive JPEGs,
 * ~0.6 MB each) are kept in flight, then the same with 24 MP progressive photos (really
 * decoded: ~80 MB of coefficients each, so one at a time in the decode pool).
 * Each figure comes from the same server process.
 */
export async function runHostile(options: HostileOptions): Promise<HostileRun> {
  options.log('  making the bombs');
  const flat = (width: number, height: number) =>
    sharp({ create: { width, height, channels: 3, background: '#7a8b9c' } });
  const bomb = await flat(10_000, 10_000).jpeg({ progressive: true }).toBuffer();
  // A real 24 MP photo, progressive: ~4 MB, so plausible, and ~80 MB to decode.
  const heavy = await sharp({
    create: {
      width: 6_000,
      height: 4_000,
      channels: 3,
      background: '#808080',
      noise: { type: 'gaussian', mean: 128, sigma: 30 },
    },
  })
    .jpeg({ progressive: true, quality: 50 })
    .toBuffer();
  const uploaders = options.inFlight * UPLOADERS_PER_WORKER;

  const database = await createBenchDatabase('hostile', options.databaseUrl);
  try {
    const seeding = await database.open();
    try {
      await seedUsers(seeding.db, 'bomber', uploaders);
    } finally {
      await seeding.close();
    }
    const server = await startPhotogram(database, options.serverEnv);
    try {
      const { pid } = server;
      if (pid === undefined) throw new Error('the server has no process id');
      const clients = Array.from({ length: uploaders }, (_, i) =>
        signedInClient(server.url, seededUser('bomber', i + 1).session),
      );
      // Warm-up: libvips loads its codecs on first use.
      await clients[0]?.posts.upload.mutate(uploadForm(await smallJpeg(), 'warm-up'));
      const phases: HostileFigures[] = [];
      const photos = { idle: null, stalled: null, bombs: bomb, heavy } as const;
      for (const phase of ['idle', 'stalled', 'bombs', 'heavy'] as const) {
        options.log(`  ${phase}`);
        phases.push(await measure(server, pid, clients, photos[phase], phase, options));
      }
      return { bombBytes: bomb.length, heavyBytes: heavy.length, phases };
    } finally {
      await server.stop();
    }
  } finally {
    await database.remove();
  }
}

async function measure(
  server: BenchServer,
  pid: number,
  clients: ReadonlyArray<ReturnType<typeof signedInClient>>,
  photo: Buffer | null,
  phase: HostileFigures['phase'],
  options: HostileOptions,
): Promise<HostileFigures> {
  const rssBeforeMiB = (await server.memory()).rss / MiB;
  const url = new URL(server.url);
  const stalled =
    phase === 'idle'
      ? []
      : await Promise.all(Array.from({ length: options.stalled }, () => stalledBody(url)));

  let peak = await rssMiB(pid);
  let sampling = true;
  const sampler = (async () => {
    while (sampling) {
      peak = Math.max(peak, await rssMiB(pid).catch(() => peak));
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  })();

  const deadline = performance.now() + options.windowMs;
  const answers: Record<string, number> = {};
  let uploads = 0;
  const count = (answer: string) => {
    answers[answer] = (answers[answer] ?? 0) + 1;
  };
  const workers = photo
    ? Array.from({ length: options.inFlight }, async (_, index) => {
        for (let round = 0; performance.now() < deadline; round++) {
          const client = clients[index + options.inFlight * (round % UPLOADERS_PER_WORKER)];
          if (!client) throw new Error('no uploader');
          uploads += 1;
          try {
            await client.posts.upload.mutate(uploadForm(photo, `load ${index}`));
            count('200');
          } catch (error: unknown) {
            const status = error instanceof TRPCClientError ? error.data?.httpStatus : undefined;
            count(String(status ?? 'failed'));
          }
        }
      })
    : [];

  const latencies: number[] = [];
  let healthFailures = 0;
  while (performance.now() < deadline) {
    const started = performance.now();
    try {
      const response = await fetch(`${server.url}/healthz`);
      await response.arrayBuffer();
      if (response.status !== 200) healthFailures += 1;
    } catch (error: unknown) {
      healthFailures += 1;
      options.log(`  /healthz failed: ${error instanceof Error ? error.message : String(error)}`);
    }
    latencies.push(performance.now() - started);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  await Promise.all(workers);
  const stalledOpen = stalled.filter((body) => body.open()).length;
  sampling = false;
  await sampler;
  for (const body of stalled) body.socket.destroy();
  const after = await server.memory();
  const rssAfterMiB = after.rss / MiB;
  return {
    phase,
    health: summarize(latencies),
    healthFailures,
    rssBeforeMiB,
    rssPeakMiB: peak,
    rssAfterMiB,
    stalledOpen,
    stalled: stalled.length,
    uploads,
    answers,
  };
}
