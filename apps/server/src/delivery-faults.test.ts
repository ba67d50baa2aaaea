import { randomBytes } from 'node:crypto';
import { posts } from '@photogram/db';
import { eq } from 'drizzle-orm';
import postgres from 'postgres';
import { afterAll, beforeAll, expect, test, vi } from 'vitest';
import { type Person, signUpPerson } from './testing/client';
import { type TestDatabase, testDatabase } from './testing/database';
import { solidImage, uploadForm } from './testing/images';
import { type SpawnedServer, spawnServer } from './testing/process';
import { seededRandom } from './testing/random';
import { churn, deliveredAndExpected, watchUploads } from './testing/subscriber';

// Faults between server processes sharing PostgreSQL (BUS=postgres). PGlite is one
// process per folder, so these need DATABASE_URL; the same delivery paths run on PGlite
// in one process in delivery.test.ts.
const enabled = Boolean(process.env.DATABASE_URL);

let database: TestDatabase;
/** The test's own connection: row locks, pg_stat_activity, pg_terminate_backend. */
let admin: postgres.Sql;
const servers: SpawnedServer[] = [];
const roles: string[] = [];

beforeAll(async () => {
  if (!enabled) return;
  database = await testDatabase();
  admin = postgres(database.url ?? '', { max: 3, onnotice: () => {} });
});
afterAll(async () => {
  if (!enabled) return;
  for (const server of servers) {
    if (server.alive) server.signal('SIGCONT');
  }
  await Promise.all(servers.map((server) => server.stop()));
  await admin?.end({ timeout: 1 });
  await database?.close();
  // Roles outlive databases; drop them once the database (and what they own in it) is gone.
  const cluster = postgres(process.env.DATABASE_URL ?? '', { max: 1, onnotice: () => {} });
  for (const role of roles) await cluster.unsafe(`drop role if exists "${role}"`);
  await cluster.end({ timeout: 1 });
});

async function start(url = database.url ?? '', env: Record<string, string> = {}) {
  const server = await spawnServer({ DATABASE_URL: url, BUS: 'postgres', ...env });
  servers.push(server);
  return server;
}

const signUp = (url: string, prefix: string) => signUpPerson(url, prefix);

const upload = async (person: Person, caption: string) =>
  person.client.posts.upload.mutate(uploadForm(await solidImage(24, 24), { caption }));

/** Backends of one server process's LISTEN connection. */
async function listenBackends(server: SpawnedServer) {
  return admin<{ pid: number }[]>`
    select pid from pg_stat_activity where application_name = ${`photogram-listen-${server.child.pid}`}`;
}

test.skipIf(!enabled)(
  'the LISTEN connection killed five times while uploads go through another instance: every follower gets each notification once, in order, without reconnecting',
  async () => {
    // Instance B connects as a role of its own, so the test can keep B's LISTEN from
    // coming back (NOLOGIN) while uploads go through A: their NOTIFYs are certainly lost.
    const role = `photogram_fault_${randomBytes(4).toString('hex')}`;
    roles.push(role);
    await admin.unsafe(`create role "${role}" login superuser`);
    const roleUrl = new URL(database.url ?? '');
    roleUrl.username = role;
    // B's safety net is off, so what reaches its streams comes from the reconnect alone.
    const [a, b] = await Promise.all([
      start(),
      start(roleUrl.toString(), { BUS_CHECK_INTERVAL_MS: '0' }),
    ]);

    const author = await signUp(a.url, 'listenauthor');
    const fans = await Promise.all(Array.from({ length: 4 }, () => signUp(b.url, 'listenfan')));
    for (const fan of fans) await fan.client.follows.follow.mutate({ userId: author.user.id });
    const watches = fans.map((fan) => watchUploads(fan.client));
    await Promise.all(watches.map((watch) => watch.started()));
    await upload(author, 'warm-up');
    await vi.waitFor(() => expect(watches.every((w) => w.deliveries.length === 1)).toBe(true), {
      timeout: 10_000,
    });

    for (let round = 1; round <= 5; round++) {
      await admin.unsafe(`alter role "${role}" nologin`);
      const [listener] = await listenBackends(b);
      if (!listener) throw new Error('instance B has no LISTEN connection');
      const [killed] = await admin<
        { ok: boolean }[]
      >`select pg_terminate_backend(${listener.pid}) as ok`;
      expect(killed?.ok).toBe(true);
      await vi.waitFor(async () => expect(await listenBackends(b)).toHaveLength(0));
      const before = watches.map((watch) => watch.deliveries.length);
      await upload(author, `round ${round}a`);
      await upload(author, `round ${round}b`);
      // Nothing came through while B was deaf...
      expect(watches.map((watch) => watch.deliveries.length)).toEqual(before);
      await admin.unsafe(`alter role "${role}" login`);
      // ...and once LISTEN is back, B catches every stream up from the database.
      await vi.waitFor(
        () =>
          expect(watches.map((watch) => watch.deliveries.length)).toEqual(
            before.map((count) => count + 2),
          ),
        { timeout: 15_000 },
      );
    }

    for (const [index, fan] of fans.entries()) {
      const watch = watches[index];
      if (!watch) throw new Error('unreachable');
      const { received, expected } = await deliveredAndExpected(watch, database.db, fan.user.id);
      expect(expected).toHaveLength(11);
      expect(received, `follower ${index}, on the wire`).toEqual(expected);
      expect(
        watch.states.filter((state) => state === 'pending'),
        'one connection',
      ).toHaveLength(1);
      watch.stop();
    }
    expect([a.alive, b.alive]).toEqual([true, true]);
  },
  120_000,
);

test.skipIf(!enabled)(
  'a server frozen inside an upload transaction holds nobody up past its idle timeout, its upload fails cleanly, and the follower who resumed meanwhile gets each notification once',
  async () => {
    const [a, b] = await Promise.all([start(), start()]);
    const frozenAuthor = await signUp(a.url, 'frozenauthor');
    const otherAuthor = await signUp(b.url, 'liveauthor');
    const fan = await signUp(b.url, 'frozenfan');
    await fan.client.follows.follow.mutate({ userId: frozenAuthor.user.id });
    await fan.client.follows.follow.mutate({ userId: otherAuthor.user.id });
    const watch = watchUploads(fan.client);
    await watch.started();
    await upload(frozenAuthor, 'before the freeze');
    await vi.waitFor(() => expect(watch.deliveries).toEqual(['1']), { timeout: 10_000 });

    // Hold the fan's notification head, so A's upload stops inside its transaction...
    const held = await admin.reserve();
    await held`begin`;
    await held`select seq from notification_heads where recipient_id = ${fan.user.id} for update`;
    const frozenUpload = upload(frozenAuthor, 'frozen').then(
      () => 'told it succeeded',
      () => 'told it failed',
    );
    const [waiting] = await vi.waitFor(
      async () => {
        const rows = await admin<{ pid: number }[]>`
          select pid from pg_stat_activity
          where wait_event_type = 'Lock' and query ilike '%notification_heads%'`;
        expect(rows).toHaveLength(1);
        return rows;
      },
      { timeout: 10_000 },
    );
    // ...freeze A there (a VM pause), and let its statement finish: A's transaction now
    // holds the fan's head and A will not say another word for as long as it is frozen.
    a.signal('SIGSTOP');
    await held`commit`;
    held.release();
    await vi.waitFor(async () => {
      const [row] = await admin<{ state: string }[]>`
        select state from pg_stat_activity where pid = ${waiting?.pid ?? 0}`;
      expect(row?.state).toBe('idle in transaction');
    });

    // The fan reconnects meanwhile, and someone else's upload to them has to wait...
    watch.resume();
    await watch.started();
    const other = await upload(otherAuthor, 'while A is frozen');
    // ...only until PostgreSQL ended A's idle transaction, which rolled back.
    const [gone] = await admin<{ n: number }[]>`
      select count(*)::int as n from pg_stat_activity where pid = ${waiting?.pid ?? 0}`;
    expect(gone?.n).toBe(0);

    a.signal('SIGCONT');
    expect(await frozenUpload).toBe('told it failed');
    const frozenPosts = await database.db
      .select({ caption: posts.caption })
      .from(posts)
      .where(eq(posts.authorId, frozenAuthor.user.id));
    expect(frozenPosts.map((post) => post.caption)).toEqual(['before the freeze']);
    await vi.waitFor(() => expect(watch.byId.size).toBe(2), { timeout: 10_000 });
    expect([...watch.byId.values()].map((item) => item.post.id)).toContain(other.id);

    // A is itself again.
    expect(a.alive).toBe(true);
    await upload(frozenAuthor, 'after the thaw');
    const { received, expected } = await deliveredAndExpected(watch, database.db, fan.user.id);
    expect(expected).toEqual(['1', '2', '3']);
    expect(received).toEqual(expected);
    watch.stop();
  },
  120_000,
);

test.skipIf(!enabled)(
  'followers dropping and resuming on one instance while five authors upload through another: each notification once, in order, per follower',
  async () => {
    const random = seededRandom(1_201);
    const [a, b] = await Promise.all([start(), start()]);
    const authors = await Promise.all(
      Array.from({ length: 5 }, () => signUp(a.url, 'churnauthor')),
    );
    const fans = await Promise.all(Array.from({ length: 10 }, () => signUp(b.url, 'churnfan')));
    for (const [index, fan] of fans.entries()) {
      for (const [which, author] of authors.entries()) {
        // Not everyone follows everyone.
        if ((index + which) % 4 === 3) continue;
        await fan.client.follows.follow.mutate({ userId: author.user.id });
      }
    }
    const watches = fans.map((fan) => watchUploads(fan.client));
    await Promise.all(watches.map((watch) => watch.started()));

    const churning = churn(watches, random, { maxGapMs: 50, maxPauseMs: 20 });
    await Promise.all(
      authors.map(async (author) => {
        for (let index = 0; index < 6; index++) await upload(author, `churn ${index}`);
      }),
    );
    await churning.stop();
    for (const watch of watches) watch.resume();

    for (const [index, fan] of fans.entries()) {
      const watch = watches[index];
      if (!watch) throw new Error('unreachable');
      const { received, expected } = await deliveredAndExpected(watch, database.db, fan.user.id);
      expect(expected.length).toBeGreaterThan(0);
      expect(received, `follower ${index}, on the wire`).toEqual(expected);
      watch.stop();
    }
  },
  120_000,
);
