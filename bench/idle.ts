import { readFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { createPhotogramClient } from '@photogram/client';
import { uploadForm } from './api-client';
import { type BenchServer, startPhotogram } from './children';
import { type BenchDatabase, createBenchDatabase } from './database';
import { smallJpeg } from './images';

const MiB = 1024 * 1024;

/** One server of Photogram's, idle: what it holds once started, and once it has served. */
export interface IdleRun {
  database: 'pglite' | 'postgres';
  /** A new database (PGlite: a new data folder, made by initdb), or the same one again. */
  start: 'new' | 'again';
  transport: string | null;
  /** VmRSS `settleMs` after the server said it listens, no gc() forced. */
  startedMiB: number;
  /** VmRSS `settleMs` after the warm-up (sign up, upload, five feed pages). */
  warmMiB: number;
  /** VmHWM at the end: the most the process ever held. */
  peakMiB: number;
  /** The server's V8 heap after gc(), at the end. */
  heapUsedMiB: number;
}

export interface IdleOptions {
  /** PostgreSQL's admin URL: without one, only PGlite is measured. */
  databaseUrl: string | undefined;
  settleMs: number;
  log(message: string): void;
}

/** VmRSS and VmHWM of a process, from /proc (Linux). */
export async function residentMiB(pid: number): Promise<{ rss: number; peak: number }> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const field = (name: string) =>
    Number(new RegExp(`^${name}:\\s+(\\d+)`, 'm').exec(status)?.[1] ?? Number.NaN) / 1024;
  return { rss: field('VmRSS'), peak: field('VmHWM') };
}

/** A person signs up (argon2id and all), uploads a photo and reads their feed. */
async function warmUp(url: string, photo: Buffer, name: string) {
  let cookie = '';
  const client = createPhotogramClient({
    url,
    fetch: async (input, init) => {
      const headers = new Headers(init?.headers);
      if (cookie) headers.set('cookie', cookie);
      // Cookie-authenticated mutations must come from the server's own origin.
      headers.set('origin', url);
      const response = await fetch(input, { ...init, headers });
      const session = response.headers.getSetCookie()[0]?.split(';')[0];
      if (session) cookie = session;
      return response;
    },
  });
  await client.auth.signUp.mutate({ username: name, password: `${name} idles on a small machine` });
  await client.posts.upload.mutate(uploadForm(photo, 'warm-up'));
  for (let page = 0; page < 5; page++) await client.feed.list.query({ limit: 20 });
}

async function measure(
  database: BenchDatabase,
  start: IdleRun['start'],
  photo: Buffer,
  options: IdleOptions,
): Promise<IdleRun> {
  options.log(`  ${database.kind}, ${start === 'new' ? 'a new database' : 'the same again'}`);
  const server: BenchServer = await startPhotogram(database);
  try {
    const pid = server.pid;
    if (pid === undefined) throw new Error('the server has no process id');
    await sleep(options.settleMs);
    const started = await residentMiB(pid);
    await warmUp(server.url, photo, `idle${start}`);
    await sleep(options.settleMs);
    const warm = await residentMiB(pid);
    // Last: gc() changes what the process holds.
    const heapUsedMiB = (await server.memory()).heapUsed / MiB;
    return {
      database: database.kind,
      start,
      transport: server.ready.transport,
      startedMiB: started.rss,
      warmMiB: warm.rss,
      peakMiB: warm.peak,
      heapUsedMiB,
    };
  } finally {
    await server.stop();
  }
}

/**
 * The idle server on each database: PGlite started on a new data folder and again on the
 * same one (a restart), and PostgreSQL on a new database when `databaseUrl` is given.
 */
export async function runIdle(options: IdleOptions): Promise<IdleRun[]> {
  const photo = await smallJpeg();
  const runs: IdleRun[] = [];
  const engines = options.databaseUrl ? [undefined, options.databaseUrl] : [undefined];
  for (const url of engines) {
    const database = await createBenchDatabase('idle', url);
    try {
      runs.push(await measure(database, 'new', photo, options));
      runs.push(await measure(database, 'again', photo, options));
    } finally {
      await database.remove();
    }
  }
  return runs;
}
