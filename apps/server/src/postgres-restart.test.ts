import type { ChildProcess } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { type DatabaseHandle, openDatabase, posts } from '@photogram/db';
import { eq } from 'drizzle-orm';
import postgres from 'postgres';
import { afterAll, expect, onTestFailed, test, vi } from 'vitest';
import { createTestClient, uniqueUsername } from './testing/client';
import { type Cluster, clusterUnavailableReason, startCluster } from './testing/cluster';
import { solidImage, uploadForm } from './testing/images';
import { waitForBlockedInsert } from './testing/postgres';
import { type Exit, type SpawnedServer, spawnServer } from './testing/process';
import { deliveredAndExpected, watchUploads } from './testing/subscriber';

const unavailable = clusterUnavailableReason();
if (unavailable) console.warn(`postgres-restart.test.ts skipped: ${unavailable}`);

// Everything the test starts, so afterAll can take it down however far the test got.
let cluster: Cluster | null = null;
let database: DatabaseHandle | null = null;
let admin: postgres.Sql | null = null;
const servers: SpawnedServer[] = [];
const lockHolders: ChildProcess[] = [];
const watches: Array<ReturnType<typeof watchUploads>> = [];

afterAll(async () => {
  for (const watch of watches) watch.stop();
  for (const holder of lockHolders) if (holder.exitCode === null) holder.kill('SIGKILL');
  await Promise.all(servers.map((server) => stopWithin(server, 15_000)));
  await admin?.end({ timeout: 1 }).catch((error: unknown) => console.warn(error));
  await database?.close().catch((error: unknown) => console.warn(error));
  await cluster?.destroy();
});

interface Outcome {
  caption: string;
  ok: boolean;
  /** Why the client was told it failed. */
  error?: string;
}

test.skipIf(unavailable !== null)(
  'across a PostgreSQL restart and a 10 s outage, both servers stay up, every upload is committed exactly when its client was told so, and every follower gets each notification once, in order',
  async () => {
    const started = Date.now();
    const timings: string[] = [];
    const mark = (what: string) => timings.push(`${what} at ${Date.now() - started} ms`);

    const pg = await startCluster();
    cluster = pg;
    // Migrated here, before the servers start, so they do not race in the migrations.
    database = await openDatabase({ url: pg.url, maxConnections: 2 });
    const db = database.db;
    // The test's own look at pg_stat_activity; only ever used through the pool, which
    // reconnects, never through a reserved connection PostgreSQL could vanish under.
    const sql = postgres(pg.url, { max: 1, onnotice: () => {} });
    admin = sql;
    mark('cluster up');

    const env = { DATABASE_URL: pg.url, BUS: 'postgres', LOG_LEVEL: 'info' };
    const [a, b] = await Promise.all([
      spawnServer(env, { stdout: 'pipe' }),
      spawnServer(env, { stdout: 'pipe' }),
    ]);
    servers.push(a, b);
    const logs = { a: collectLines(a), b: collectLines(b) };
    mark('servers up');
    const exitAsError = (name: string, server: SpawnedServer) =>
      server.exited.then((exit: Exit): never => {
        throw new Error(`server ${name} exited (code ${exit.code}, signal ${exit.signal})`);
      });
    // `promise`, unless a server exits first: a crash fails the test at once, named, rather
    // than as a timeout. (race subscribes to the exits, so a later one is not unhandled.)
    const unlessCrashed = <T>(promise: Promise<T>) =>
      Promise.race([promise, exitAsError('A', a), exitAsError('B', b)]);

    onTestFailed(async () => {
      console.error(timings.join('\n'));
      for (const [name, lines] of Object.entries(logs)) {
        const notable = lines.filter(
          (line) => !/"level":30,/.test(line) || /bus|listen/i.test(line),
        );
        console.error(
          `--- server ${name}: ${notable.length} warn/error lines\n${notable.join('\n')}`,
        );
      }
      const log = await readFile(pg.log, 'utf8').catch((error: unknown) => String(error));
      console.error(`--- postgres log (tail)\n${log.split('\n').slice(-40).join('\n')}`);
    });

    const author = createTestClient(a.url);
    const { user } = await author.client.auth.signUp.mutate({
      username: uniqueUsername('pgr_author'),
      password: 'password123',
    });
    // Most followers on the other instance, whose notifications travel through NOTIFY,
    // some on the author's own.
    const followers = await Promise.all(
      [b, b, b, b, b, b, a, a, a].map(async (server, index) => {
        const follower = createTestClient(server.url);
        const { user: me } = await follower.client.auth.signUp.mutate({
          username: uniqueUsername(`pgr_fan${index}`),
          password: 'password123',
        });
        await follower.client.follows.follow.mutate({ userId: user.id });
        const watch = watchUploads(follower.client);
        watches.push(watch);
        await watch.started();
        return { userId: me.id, watch };
      }),
    );

    const image = await solidImage(40, 30);
    const outcomes: Outcome[] = [];
    async function upload(caption: string): Promise<Outcome> {
      let outcome: Outcome;
      try {
        await author.client.posts.upload.mutate(uploadForm(image, { caption }));
        outcome = { caption, ok: true };
      } catch (error: unknown) {
        outcome = {
          caption,
          ok: false,
          error: error instanceof Error ? error.message : String(error),
        };
      }
      outcomes.push(outcome);
      return outcome;
    }
    // Paced, because the server allows an author 60 uploads an hour: a loop going as fast
    // as failures come back would use them up within the outage.
    const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

    for (const n of [1, 2, 3]) {
      expect(await upload(`before-${n}`), 'an upload before the faults').toMatchObject({
        ok: true,
      });
    }
    mark('3 uploads before');

    // (1) Restart, with an upload certainly inside its transaction: a lock on posts holds
    // its INSERT until the restart kills its backend (and the lock holder's).
    {
      const hold = await holdPostInserts(pg);
      const inFlight = upload('restart-in-transaction');
      await waitForBlockedInsert(sql);
      let restarted = false;
      let n = 0;
      const restart = async () => {
        await pg.restart('fast');
        restarted = true;
        mark('restarted');
      };
      // Until three have gone through after the restart (the first waits for the lock too).
      const uploadThroughRestart = async () => {
        let successesAfter = 0;
        while (!restarted || successesAfter < 3) {
          n += 1;
          if (n > 20) throw new Error(`uploads did not recover after the restart (${n - 1} tried)`);
          const outcome = await upload(`restart-${n}`);
          if (restarted && outcome.ok) successesAfter += 1;
          await pause(100);
        }
      };
      await unlessCrashed(Promise.all([restart(), uploadThroughRestart()]));
      await hold.gone;
      // Killed before its INSERT finished: it cannot have committed.
      expect(await inFlight).toMatchObject({ ok: false });
      mark(`restart loop done after ${n} uploads`);
    }

    // (2) Stopped for about 10 s, again with an upload inside its transaction.
    {
      const hold = await holdPostInserts(pg);
      const inFlight = upload('stop-in-transaction');
      await waitForBlockedInsert(sql);
      await pg.stop('fast');
      mark('stopped');
      await hold.gone;
      expect(await unlessCrashed(inFlight)).toMatchObject({ ok: false });
      // Readiness: B has noticed.
      const downStatus = await vi.waitFor(
        async () => {
          const response = await fetch(`${b.url}/healthz`);
          expect(response.status).not.toBe(200);
          return response.status;
        },
        { timeout: 10_000, interval: 50 },
      );
      mark(`B /healthz ${downStatus}`);
      expect.soft(downStatus, '/healthz while PostgreSQL is down').toBe(503);
      // The outage lasts ten failed attempts a second apart: past the LISTEN back-off's
      // 5 s ceiling and one run of the 10 s safety net, which must fail without harm.
      for (let n = 1; n <= 10; n++) {
        const outcome = await unlessCrashed(upload(`down-${n}`));
        expect(outcome, 'an upload while PostgreSQL is stopped').toMatchObject({ ok: false });
        await pause(1_000);
      }
      await pg.start();
      mark('started again');
      for (const server of [a, b]) {
        await vi.waitFor(
          async () => expect((await fetch(`${server.url}/healthz`)).status).toBe(200),
          { timeout: 15_000, interval: 50 },
        );
      }
      mark('both /healthz 200');
      for (const n of [1, 2, 3]) {
        const outcome = await unlessCrashed(upload(`after-${n}`));
        expect(outcome, 'an upload once PostgreSQL is back').toMatchObject({ ok: true });
      }
      mark('3 uploads after');
    }

    expect(a.alive, 'server A is still running').toBe(true);
    expect(b.alive, 'server B is still running').toBe(true);

    // Committed exactly when the client was told so.
    const rows = await db
      .select({ caption: posts.caption })
      .from(posts)
      .where(eq(posts.authorId, user.id));
    const committed = rows.map((row) => row.caption).sort();
    const toldOk = outcomes.filter((outcome) => outcome.ok).map((outcome) => outcome.caption);
    expect(committed).toEqual([...toldOk].sort());
    const toldFailed = outcomes.filter((outcome) => !outcome.ok).map((outcome) => outcome.caption);
    expect(committed.filter((caption) => toldFailed.includes(caption))).toEqual([]);

    // On the wire, per follower: exactly the database's list, once each, in order.
    const allIds = toldOk.map((_, index) => String(index + 1));
    for (const { userId, watch } of followers) {
      const { received, expected } = await unlessCrashed(
        deliveredAndExpected(watch, db, userId, { timeoutMs: 15_000 }),
      );
      expect(expected).toEqual(allIds);
      expect(received).toEqual(expected);
    }
    mark('all followers checked');

    for (const server of [a, b]) expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
    console.info(
      `${outcomes.length} uploads (${toldOk.length} ok, ${toldFailed.length} failed) to ${followers.length} followers\n${timings.join('\n')}`,
    );
  },
  60_000,
);

/** Every line the server writes to stdout (its log), kept for the failure report. */
function collectLines(server: SpawnedServer): string[] {
  const lines: string[] = [];
  if (server.stdout)
    createInterface({ input: server.stdout }).on('line', (line) => lines.push(line));
  return lines;
}

/**
 * Takes an EXCLUSIVE lock on posts (reads still pass) in a psql session, so an upload's
 * INSERT waits inside its open transaction until PostgreSQL goes away. psql rather than
 * a reserved postgres.js connection: postgres.js 3.4.9 throws an uncaught TypeError when
 * a query is sent on a reserved connection that has closed. `gone` resolves when the
 * session has ended, which only PostgreSQL going down (or afterAll) brings about.
 */
async function holdPostInserts(cluster: Cluster) {
  const holder = cluster.psql([
    'begin',
    'lock table posts in exclusive mode',
    "select 'locked'",
    'select pg_sleep(600)',
  ]);
  lockHolders.push(holder);
  const gone = new Promise<void>((resolve) => holder.once('exit', () => resolve()));
  let output = '';
  await new Promise<void>((resolve, reject) => {
    holder.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('locked')) resolve();
    });
    holder.stderr?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    holder.once('exit', (code) =>
      reject(new Error(`psql exited (${code}) before locking: ${output}`)),
    );
  });
  return { gone };
}

/** SIGTERM, and SIGKILL if it has not exited in time (a hung shutdown must not hang the suite). */
async function stopWithin(server: SpawnedServer, ms: number) {
  const timer = setTimeout(() => server.signal('SIGKILL'), ms);
  try {
    await server.stop();
  } finally {
    clearTimeout(timer);
  }
}
