import type { ChildProcess } from 'node:child_process';
import { type DatabaseHandle, openDatabase } from '@photogram/db';
import postgres from 'postgres';
import { afterAll, expect, test, vi } from 'vitest';
import { waitForHeadWaiters, wireAndDatabase } from './testing/activity';
import { createTestClient, type Person, signUpPerson } from './testing/client';
import { type Cluster, clusterUnavailableReason, startCluster } from './testing/cluster';
import { solidImage, uploadForm } from './testing/images';
import { type SpawnedServer, spawnServer } from './testing/process';
import { watchActivity } from './testing/subscriber';

// `notifications.onActivity` across a PostgreSQL outage, in a cluster of the test's own
// (see postgres-restart.test.ts, which does the same for uploads).
const unavailable = clusterUnavailableReason();
if (unavailable) console.warn(`activity-restart.test.ts skipped: ${unavailable}`);

let cluster: Cluster | null = null;
let database: DatabaseHandle | null = null;
let admin: postgres.Sql | null = null;
const servers: SpawnedServer[] = [];
const lockHolders: ChildProcess[] = [];
const watches: Array<ReturnType<typeof watchActivity>> = [];

afterAll(async () => {
  for (const watch of watches) watch.stop();
  for (const holder of lockHolders) if (holder.exitCode === null) holder.kill('SIGKILL');
  await Promise.all(servers.map((server) => stopWithin(server, 15_000)));
  await admin?.end({ timeout: 1 }).catch((error: unknown) => console.warn(error));
  await database?.close().catch((error: unknown) => console.warn(error));
  await cluster?.destroy();
});

test.skipIf(unavailable !== null)(
  'across a PostgreSQL stop and start, activity is committed exactly when its client was told so, and what committed while a process could not reconnect reaches its subscriber once, in order, when it does',
  async () => {
    const pg = await startCluster();
    cluster = pg;
    // Migrated before the servers start, so they do not race in the migrations.
    database = await openDatabase({ url: pg.url, maxConnections: 2 });
    const db = database.db;
    // Only ever used through the pool, which reconnects after the outage.
    const sql = postgres(pg.url, { max: 1, onnotice: () => {} });
    admin = sql;

    // B connects as a role of its own, so the test can keep it out after the restart
    // (NOLOGIN) while activity goes through A: its NOTIFYs certainly miss B.
    const role = 'photogram_b';
    await sql.unsafe(`create role ${role} login superuser`);
    const roleUrl = new URL(pg.url);
    roleUrl.username = role;
    const env = { DATABASE_URL: pg.url, BUS: 'postgres' };
    const [a, b] = await Promise.all([
      spawnServer(env),
      spawnServer({ ...env, DATABASE_URL: roleUrl.toString() }),
    ]);
    servers.push(a, b);

    // One subscriber on each process; everything they are told of is done through A, so
    // B hears of it through NOTIFY (or the catch-up once its LISTEN is back).
    const ann = await signUpPerson(b.url, 'pgrann');
    const bo = await signUpPerson(a.url, 'pgrbo');
    const [cy, di] = await Promise.all([
      signUpPerson(a.url, 'pgrcy'),
      signUpPerson(a.url, 'pgrdi'),
    ]);
    const photo = await solidImage(24, 24);
    const postOf = new Map<string, string>();
    for (const person of [ann, bo]) {
      const onA = createTestClient(a.url);
      onA.setCookies(person.cookieHeader());
      const post = await onA.client.posts.upload.mutate(uploadForm(photo, { caption: 'mine' }));
      postOf.set(person.user.id, post.id);
      const watch = watchActivity(person.client);
      watches.push(watch);
      await watch.started();
    }
    const recipients = [ann, bo];

    /** What each action's client was told, per recipient. */
    const told = new Map<string, Array<{ what: string; ok: boolean }>>();
    async function act(what: string, recipient: Person, action: () => Promise<unknown>) {
      const ok = await action().then(
        () => true,
        () => false,
      );
      const list = told.get(recipient.user.id) ?? [];
      list.push({ what, ok });
      told.set(recipient.user.id, list);
      return ok;
    }
    const comment = (actor: Person, recipient: Person, body: string) =>
      act(body, recipient, () =>
        actor.client.comments.add.mutate({ postId: postOf.get(recipient.user.id) ?? '', body }),
      );

    for (const recipient of recipients) {
      expect(
        await act('follow', recipient, () =>
          cy.client.follows.follow.mutate({ userId: recipient.user.id }),
        ),
      ).toBe(true);
    }

    // A like certainly inside its transaction when PostgreSQL stops: it waits for ann's
    // head, held by a psql session that the stop ends too.
    const holder = pg.psql([
      'begin',
      `select 1 from notification_heads where recipient_id = '${ann.user.id}' for update`,
      "select 'locked'",
      'select pg_sleep(600)',
    ]);
    lockHolders.push(holder);
    await untilOutput(holder, 'locked');
    const inFlight = act('in-flight like', ann, () =>
      di.client.posts.like.mutate({ postId: postOf.get(ann.user.id) ?? '' }),
    );
    await waitForHeadWaiters(sql, 1);
    await sql.unsafe(`alter role ${role} nologin`);
    await pg.stop('fast');
    expect(await inFlight).toBe(false);
    for (const recipient of recipients) {
      expect(await comment(di, recipient, 'while it is down')).toBe(false);
    }
    await vi.waitFor(async () => expect((await fetch(`${b.url}/healthz`)).status).toBe(503), {
      timeout: 10_000,
      interval: 50,
    });
    await pg.start();

    // Through A, while B cannot connect: each action until it goes through.
    const annBefore = watches[0]?.deliveries.length;
    for (const recipient of recipients) {
      for (let attempt = 1; ; attempt++) {
        if (await comment(di, recipient, `right after, attempt ${attempt}`)) break;
        if (attempt >= 50) throw new Error('activity did not recover after the restart');
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      expect(
        await act('like', recipient, () =>
          cy.client.posts.like.mutate({ postId: postOf.get(recipient.user.id) ?? '' }),
        ),
      ).toBe(true);
    }
    const listening = await sql`
      select count(*)::int as n from pg_stat_activity
      where application_name = ${`photogram-listen-${b.child.pid}`}`;
    expect(listening[0]?.n, 'B is not listening yet').toBe(0);
    expect(watches[0]?.deliveries.length, 'nothing reached B meanwhile').toBe(annBefore);
    await sql.unsafe(`alter role ${role} login`);
    for (const server of [a, b]) {
      await vi.waitFor(
        async () => expect((await fetch(`${server.url}/healthz`)).status).toBe(200),
        { timeout: 15_000, interval: 50 },
      );
    }
    for (const recipient of recipients) {
      expect(
        await act('follow', recipient, () =>
          di.client.follows.follow.mutate({ userId: recipient.user.id }),
        ),
      ).toBe(true);
    }

    expect([a.alive, b.alive]).toEqual([true, true]);
    for (const [index, recipient] of recipients.entries()) {
      const watch = watches[index];
      if (!watch) throw new Error('unreachable');
      const { received, expected } = await wireAndDatabase(watch, db, recipient.user.id, {
        timeoutMs: 15_000,
      });
      // Committed exactly when told so: one row for each action told it succeeded.
      const toldOk = (told.get(recipient.user.id) ?? []).filter((each) => each.ok);
      expect(expected.notifications.map((row) => row.type)).toEqual(
        toldOk.map((each) =>
          each.what.startsWith('follow') ? 'follow' : each.what === 'like' ? 'like' : 'comment',
        ),
      );
      expect(received, `${recipient.user.username}, on the wire`).toEqual(expected);
    }
  },
  60_000,
);

/** Resolves once the child has printed `text`; fails if it exits first. */
function untilOutput(child: ChildProcess, text: string) {
  let output = '';
  return new Promise<void>((resolve, reject) => {
    child.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes(text)) resolve();
    });
    child.stderr?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.once('exit', (code) => reject(new Error(`psql exited (${code}): ${output}`)));
  });
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
