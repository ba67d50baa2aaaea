import { randomBytes } from 'node:crypto';
import { MemoryBus, PostgresBus } from '@photogram/api';
import { likes, notifications } from '@photogram/db';
import { and, eq } from 'drizzle-orm';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, test, vi } from 'vitest';
import { rawActivityStream, waitForHeadWaiters, wireAndDatabase } from './testing/activity';
import { createTestClient, type Person, signUpPerson } from './testing/client';
import { type TestDatabase, testDatabase } from './testing/database';
import { solidImage, uploadForm } from './testing/images';
import { freePort, type SpawnedServer, spawnServer } from './testing/process';
import { startTestServer, type TestServer } from './testing/server';
import { watchActivity, watchUploads } from './testing/subscriber';

// `notifications.onActivity` (follows, likes, comments, mentions) through the faults
// `onUpload` is held to in delivery.test.ts and delivery-faults.test.ts: per subscriber,
// the event ids and notification ids that came off the wire, against the database's
// activity rows in `seq` order. Nothing is de-duplicated before the comparison.

let photo: Buffer;
beforeAll(async () => {
  photo = await solidImage(24, 24);
});

const upload = (person: Person, caption = 'a photo') =>
  person.client.posts.upload.mutate(uploadForm(photo, { caption }));

/** `person` signed in on another server: the same session, their cookie jar carried over. */
function signedIn(url: string, person: Person): Person {
  const copy = createTestClient(url);
  copy.setCookies(person.cookieHeader());
  return { ...copy, user: person.user };
}

/** How a watched stream connected: one `pending` per connection it opened. */
const connections = (watch: { states: string[] }) =>
  watch.states.filter((state) => state === 'pending').length;

// --- One process, both engines ----------------------------------------------------------

describe('in one process', () => {
  // As in delivery.test.ts: `server` hears through a postgres bus (LISTEN/NOTIFY, which
  // PGlite has in-process) with a fast safety net; `silent` shares the database but
  // publishes to a bus nobody reads, as a process that died between commit and NOTIFY.
  const HEAD_CHECK_MS = 200;
  let database: TestDatabase;
  let bus: PostgresBus;
  let server: TestServer;
  let silent: TestServer;
  const busErrors: unknown[] = [];
  beforeAll(async () => {
    database = await testDatabase();
    bus = await PostgresBus.start({
      db: database.db,
      listen: database.listen,
      notify: database.notify,
      onError: (error) => busErrors.push(error),
      headCheckIntervalMs: HEAD_CHECK_MS,
    });
    server = await startTestServer({ database, bus, logger: { level: 'error' } });
    silent = await startTestServer({ database, bus: new MemoryBus(), logger: { level: 'error' } });
  });
  afterAll(async () => {
    await silent?.close();
    await server?.close();
    await bus?.close();
    await database?.close();
  });

  const onSilent = (person: Person) => signedIn(silent.url, person);

  test('activity whose NOTIFY was never sent reaches each subscriber through the safety net, once, in order, without a reconnect', async () => {
    const rae = await signUpPerson(server.url, 'netrae');
    const max = await signUpPerson(server.url, 'netmax');
    const [ned, ola] = await Promise.all([
      signUpPerson(silent.url, 'netned'),
      signUpPerson(silent.url, 'netola'),
    ]);
    const post = await upload(rae);
    const watches = [watchActivity(rae.client), watchActivity(max.client)];
    await Promise.all(watches.map((watch) => watch.started()));

    // Every action goes through the process whose bus tells nobody.
    await ned.client.follows.follow.mutate({ userId: rae.user.id });
    await ola.client.follows.follow.mutate({ userId: rae.user.id });
    await ned.client.posts.like.mutate({ postId: post.id });
    await ola.client.comments.add.mutate({
      postId: post.id,
      body: `nice, @${max.user.username}`,
    });
    await upload(ned, `with @${max.user.username} and @${rae.user.username}`);

    for (const [index, person] of [rae, max].entries()) {
      const watch = watches[index];
      if (!watch) throw new Error('unreachable');
      const { received, expected } = await wireAndDatabase(watch, database.db, person.user.id);
      expect(expected.eventIds).toHaveLength(index === 0 ? 5 : 2);
      expect(received, `${person.user.username}, on the wire`).toEqual(expected);
      expect(connections(watch), 'one connection').toBe(1);
      watch.stop();
    }
    expect(busErrors).toEqual([]);
  });

  test('resumed after a reconnect, with lastEventId or a Last-Event-ID header, a subscriber gets exactly what it missed, across withdrawn notifications', async () => {
    const tia = await signUpPerson(server.url, 'restia');
    const [uma, vic, wes] = await Promise.all(
      ['resuma', 'resvic', 'reswes'].map((prefix) => signUpPerson(server.url, prefix)),
    );
    if (!uma || !vic || !wes) throw new Error('unreachable');
    const post = await upload(tia);
    const watch = watchActivity(tia.client);
    await watch.started();
    await uma.client.follows.follow.mutate({ userId: tia.user.id }); // 1
    await uma.client.posts.like.mutate({ postId: post.id }); // 2
    await watch.until(() => watch.deliveries.length === 2, 'the first two, live');
    watch.stop();

    // While it is away: three withdrawn (a like, a follow, a deleted comment), one in the
    // middle of the rest and one at the end, and every kind that stays.
    await vic.client.posts.like.mutate({ postId: post.id }); // 3
    await vic.client.posts.unlike.mutate({ postId: post.id }); // 3 withdrawn
    await vic.client.follows.follow.mutate({ userId: tia.user.id }); // 4
    const comment = await wes.client.comments.add.mutate({ postId: post.id, body: 'lovely' }); // 5
    await wes.client.comments.delete.mutate({ commentId: comment.id }); // 5 withdrawn
    await wes.client.comments.add.mutate({ postId: post.id, body: `@${uma.user.username} look` }); // 6
    await upload(uma, `for @${tia.user.username}`); // 7
    await wes.client.follows.follow.mutate({ userId: tia.user.id }); // 8
    await wes.client.follows.unfollow.mutate({ userId: tia.user.id }); // 8 withdrawn

    // The real client resumes with lastEventId "2".
    watch.resume();
    await watch.started();
    const { received, expected } = await wireAndDatabase(watch, database.db, tia.user.id);
    expect(expected.eventIds).toEqual(['1', '2', '4', '6', '7']);
    expect(received).toEqual(expected);
    expect(connections(watch)).toBe(2);

    // A browser's EventSource resumes with the header instead, from the last id it had.
    const fromHeader = await rawActivityStream(server.url, tia.fetch, '2');
    await vi.waitFor(() => expect(fromHeader.delivered()).toHaveLength(3), { timeout: 10_000 });
    // From the far side of the withdrawn one at the end nothing comes again...
    const atEnd = await rawActivityStream(server.url, tia.fetch, '7');
    await atEnd.stream.take(1); // `connected`
    // ...and the next one is live, on both, and on the resumed watch.
    await vic.client.comments.add.mutate({ postId: post.id, body: 'again' }); // 9
    await vi.waitFor(() => expect(atEnd.delivered()).toHaveLength(1), { timeout: 10_000 });
    await vi.waitFor(() => expect(fromHeader.delivered()).toHaveLength(4), { timeout: 10_000 });
    const all = await wireAndDatabase(watch, database.db, tia.user.id);
    expect(all.received).toEqual(all.expected);
    expect(fromHeader.delivered()).toEqual(
      all.expected.notifications.filter((row) => Number(row.eventId) > 2),
    );
    expect(atEnd.delivered()).toEqual(all.expected.notifications.slice(-1));
    expect(all.expected.eventIds.at(-1)).toBe('9');
    await Promise.all([fromHeader.stream.close(), atEnd.stream.close()]);
    watch.stop();
  });

  test('uploads and activity interleaved for one person: each stream carries only its own kind, each once, in order', async () => {
    const zed = await signUpPerson(server.url, 'mixzed');
    const authors = await Promise.all([
      signUpPerson(server.url, 'mixauth'),
      signUpPerson(server.url, 'mixauth'),
    ]);
    const fans = await Promise.all([
      signUpPerson(server.url, 'mixfan'),
      signUpPerson(server.url, 'mixfan'),
    ]);
    for (const author of authors)
      await zed.client.follows.follow.mutate({ userId: author.user.id });
    const post = await upload(zed);
    const uploads = watchUploads(zed.client);
    const activity = watchActivity(zed.client);
    await Promise.all([uploads.started(), activity.started()]);
    expect(await zed.client.notifications.streamCount.query()).toEqual({ open: 2 });

    // All at once, half of it through the process that tells nobody: every action takes
    // zed's one head row (uploads and activity number apart, but lock it alike).
    await Promise.all([
      ...authors.map(async (author, which) => {
        const as = which === 0 ? author : onSilent(author);
        for (let n = 0; n < 3; n++) {
          // Every other upload mentions zed: one action, a row in each stream.
          await upload(as, n % 2 === 0 ? `for @${zed.user.username}` : `upload ${n}`);
        }
      }),
      ...fans.map(async (fan, which) => {
        const as = which === 0 ? fan : onSilent(fan);
        await as.client.follows.follow.mutate({ userId: zed.user.id });
        await as.client.posts.like.mutate({ postId: post.id });
        await as.client.comments.add.mutate({ postId: post.id, body: `comment ${which}` });
        await as.client.comments.add.mutate({ postId: post.id, body: `again ${which}` });
      }),
    ]);

    const ofUploads = await wireAndDatabase(uploads, database.db, zed.user.id, {
      stream: 'upload',
    });
    const ofActivity = await wireAndDatabase(activity, database.db, zed.user.id);
    expect(ofUploads.expected.eventIds).toEqual(['1', '2', '3', '4', '5', '6']);
    expect(ofUploads.received).toEqual(ofUploads.expected);
    // 4 mentions, 2 follows, 2 likes, 4 comments. (Nothing is withdrawn here: one
    // withdrawn after it went out live would rightly be on the wire and not in the rows.)
    expect(ofActivity.expected.eventIds).toHaveLength(12);
    expect(ofActivity.received).toEqual(ofActivity.expected);
    expect(new Set(ofActivity.received.notifications.map((item) => item.type))).toEqual(
      new Set(['mention', 'follow', 'like', 'comment']),
    );
    expect([connections(uploads), connections(activity)]).toEqual([1, 1]);
    uploads.stop();
    activity.stop();
    expect(busErrors).toEqual([]);
  });
});

// --- Server processes sharing PostgreSQL -------------------------------------------------

const enabled = Boolean(process.env.DATABASE_URL);

describe.skipIf(!enabled)('server processes on one PostgreSQL (BUS=postgres)', () => {
  let database: TestDatabase;
  /** The test's own connection: row locks, pg_stat_activity, pg_terminate_backend. */
  let admin: postgres.Sql;
  /** A normal instance. */
  let a: SpawnedServer;
  /**
   * An instance connecting as a role of its own, so a test can keep its LISTEN from
   * coming back (NOLOGIN), with its safety net off: what reaches its streams comes from
   * NOTIFY, or from the catch-up when its LISTEN connection is back.
   */
  let b: SpawnedServer;
  const servers: SpawnedServer[] = [];
  const role = `photogram_fault_${randomBytes(4).toString('hex')}`;

  beforeAll(async () => {
    // A database of its own: spawned servers count sign-ups per address in it.
    database = await testDatabase();
    admin = postgres(database.url ?? '', { max: 3, onnotice: () => {} });
    await admin.unsafe(`create role "${role}" login superuser`);
    const roleUrl = new URL(database.url ?? '');
    roleUrl.username = role;
    [a, b] = await Promise.all([
      start(),
      start({ DATABASE_URL: roleUrl.toString(), BUS_CHECK_INTERVAL_MS: '0' }),
    ]);
  }, 60_000);
  afterAll(async () => {
    for (const server of servers) if (server.alive) server.signal('SIGCONT');
    await Promise.all(servers.map((server) => server.stop()));
    await admin?.end({ timeout: 1 });
    await database?.close();
    // Roles outlive databases; drop it once the database (and what it owns there) is gone.
    const cluster = postgres(process.env.DATABASE_URL ?? '', { max: 1, onnotice: () => {} });
    await cluster.unsafe(`drop role if exists "${role}"`);
    await cluster.end({ timeout: 1 });
  });

  async function start(env: Record<string, string> = {}, port?: number) {
    const server = await spawnServer(
      { DATABASE_URL: database.url ?? '', BUS: 'postgres', ...env },
      port === undefined ? {} : { port },
    );
    servers.push(server);
    return server;
  }

  /** Backends of one server process's LISTEN connection. */
  const listenBackends = (server: SpawnedServer) => admin<{ pid: number }[]>`
    select pid from pg_stat_activity where application_name = ${`photogram-listen-${server.child.pid}`}`;

  /** Holds `userId`'s notification head (FOR UPDATE) in a transaction of the test's own. */
  async function holdHead(userId: string) {
    const held = await admin.reserve();
    await held`begin`;
    const rows =
      await held`select 1 from notification_heads where recipient_id = ${userId} for update`;
    if (rows.length !== 1) throw new Error('the person has no head row to hold yet');
    return {
      async release() {
        await held`commit`;
        held.release();
      },
    };
  }

  const outcome = (promise: Promise<unknown>) =>
    promise.then(
      () => 'told it succeeded',
      () => 'told it failed',
    );

  test('every kind of activity made on one process reaches its subscribers on another, once, in order', async () => {
    const ada = await signUpPerson(b.url, 'twoada');
    const bea = await signUpPerson(b.url, 'twobea');
    const cal = await signUpPerson(a.url, 'twocal');
    const post = await upload(signedIn(a.url, ada));
    const watches = [watchActivity(ada.client), watchActivity(bea.client)];
    await Promise.all(watches.map((watch) => watch.started()));

    await cal.client.follows.follow.mutate({ userId: ada.user.id });
    await cal.client.posts.like.mutate({ postId: post.id });
    await cal.client.comments.add.mutate({ postId: post.id, body: `@${bea.user.username} see` });
    await upload(cal, `@${ada.user.username} @${bea.user.username}`);
    await cal.client.follows.follow.mutate({ userId: bea.user.id });

    for (const [index, person] of [ada, bea].entries()) {
      const watch = watches[index];
      if (!watch) throw new Error('unreachable');
      const { received, expected } = await wireAndDatabase(watch, database.db, person.user.id);
      expect(expected.notifications.map((row) => row.type)).toEqual(
        index === 0 ? ['follow', 'like', 'comment', 'mention'] : ['mention', 'mention', 'follow'],
      );
      expect(received, `${person.user.username}, on the wire`).toEqual(expected);
      expect(connections(watch)).toBe(1);
      watch.stop();
    }
  }, 60_000);

  test('the LISTEN connection killed three times while activity goes through another process: each subscriber gets every notification once, in order, without reconnecting', async () => {
    const [dee, eli] = await Promise.all([
      signUpPerson(b.url, 'listendee'),
      signUpPerson(b.url, 'listeneli'),
    ]);
    const [fay, gus] = await Promise.all([
      signUpPerson(a.url, 'listenfay'),
      signUpPerson(a.url, 'listengus'),
    ]);
    const posts = [await upload(signedIn(a.url, dee)), await upload(signedIn(a.url, eli))];
    const watches = [watchActivity(dee.client), watchActivity(eli.client)];
    await Promise.all(watches.map((watch) => watch.started()));
    await fay.client.follows.follow.mutate({ userId: dee.user.id });
    await fay.client.follows.follow.mutate({ userId: eli.user.id });
    await vi.waitFor(() => expect(watches.map((w) => w.deliveries.length)).toEqual([1, 1]), {
      timeout: 10_000,
    });

    for (let round = 1; round <= 3; round++) {
      await admin.unsafe(`alter role "${role}" nologin`);
      const [listener] = await listenBackends(b);
      if (!listener) throw new Error('instance B has no LISTEN connection');
      const [killed] = await admin<
        { ok: boolean }[]
      >`select pg_terminate_backend(${listener.pid}) as ok`;
      expect(killed?.ok).toBe(true);
      await vi.waitFor(async () => expect(await listenBackends(b)).toHaveLength(0));
      const before = watches.map((watch) => watch.deliveries.length);
      // Per round and subscriber: a comment, and one of a like, a follow, a mention.
      for (const [index, post] of posts.entries()) {
        const recipient = index === 0 ? dee : eli;
        await gus.client.comments.add.mutate({ postId: post.id, body: `round ${round}` });
        if (round === 1) await gus.client.posts.like.mutate({ postId: post.id });
        if (round === 2) await gus.client.follows.follow.mutate({ userId: recipient.user.id });
        if (round === 3) await upload(fay, `round 3, @${recipient.user.username}`);
      }
      // Nothing came through while B was deaf...
      expect(watches.map((watch) => watch.deliveries.length)).toEqual(before);
      await admin.unsafe(`alter role "${role}" login`);
      // ...and once its LISTEN is back, B catches every stream up from the database.
      await vi.waitFor(
        () =>
          expect(watches.map((watch) => watch.deliveries.length)).toEqual(
            before.map((count) => count + 2),
          ),
        { timeout: 15_000 },
      );
    }

    for (const [index, person] of [dee, eli].entries()) {
      const watch = watches[index];
      if (!watch) throw new Error('unreachable');
      const { received, expected } = await wireAndDatabase(watch, database.db, person.user.id);
      expect(expected.eventIds).toHaveLength(7);
      expect(received, `${person.user.username}, on the wire`).toEqual(expected);
      expect(connections(watch), 'one connection').toBe(1);
      watch.stop();
    }
    expect([a.alive, b.alive]).toEqual([true, true]);
  }, 90_000);

  test('a process frozen (SIGSTOP) inside a like that holds the recipient’s head: activity that commits after it arrives after it, in seq order', async () => {
    const hana = await signUpPerson(b.url, 'frozhana');
    const [ivo, jae, kit] = await Promise.all(
      ['frozivo', 'frozjae', 'frozkit'].map((prefix) => signUpPerson(a.url, prefix)),
    );
    if (!ivo || !jae || !kit) throw new Error('unreachable');
    const post = await upload(signedIn(a.url, hana));
    // The like holds its post's row too (its count): the comment that waits on hana's
    // head alone is on another post.
    const other = await upload(signedIn(a.url, hana));
    const watch = watchActivity(hana.client);
    await watch.started();
    await kit.client.follows.follow.mutate({ userId: hana.user.id }); // 1
    await watch.until(() => watch.deliveries.length === 1, 'the first follow');

    // Ivo's like on A waits for hana's head, which the test holds...
    const held = await holdHead(hana.user.id);
    const frozenLike = outcome(ivo.client.posts.like.mutate({ postId: post.id }));
    const [likePid] = await waitForHeadWaiters(admin, 1);
    // ...A freezes there, and the test lets go: A's like takes the head (seq 2) and its
    // transaction stays open for as long as A is frozen.
    a.signal('SIGSTOP');
    let later: Array<Promise<string>>;
    try {
      await held.release();
      await vi.waitFor(async () => {
        const [row] = await admin<{ state: string }[]>`
          select state from pg_stat_activity where pid = ${likePid ?? 0}`;
        expect(row?.state).toBe('idle in transaction');
      });

      // Activity through B meanwhile waits behind it, and none reaches hana yet.
      const jaeOnB = signedIn(b.url, jae);
      const kitOnB = signedIn(b.url, kit);
      later = [
        outcome(jaeOnB.client.follows.follow.mutate({ userId: hana.user.id })),
        outcome(kitOnB.client.comments.add.mutate({ postId: other.id, body: 'after the like' })),
      ];
      await waitForHeadWaiters(admin, 2);
      expect(watch.deliveries).toEqual(['1']);
    } finally {
      // Whatever failed above, A must not stay frozen for the tests after this one.
      a.signal('SIGCONT');
    }
    expect(await frozenLike).toBe('told it succeeded');
    expect(await Promise.all(later)).toEqual(['told it succeeded', 'told it succeeded']);
    const { received, expected } = await wireAndDatabase(watch, database.db, hana.user.id);
    expect(expected.eventIds).toEqual(['1', '2', '3', '4']);
    expect(expected.notifications[1]?.type).toBe('like');
    expect(received).toEqual(expected);
    expect(connections(watch)).toBe(1);
    watch.stop();
    expect(a.alive).toBe(true);
  }, 60_000);

  test('a process killed (SIGKILL) with a like in its transaction and a subscriber on it: the like never commits, and the subscriber resumes on its replacement with each notification once, in order', async () => {
    const port = await freePort();
    let doomed = await start({}, port);
    const lou = await signUpPerson(doomed.url, 'killlou');
    const [mia, ned] = await Promise.all([
      signUpPerson(a.url, 'killmia'),
      signUpPerson(a.url, 'killned'),
    ]);
    const post = await upload(signedIn(a.url, lou));
    const watch = watchActivity(lou.client);
    await watch.started();
    await ned.client.follows.follow.mutate({ userId: lou.user.id }); // 1
    await watch.until(() => watch.deliveries.length === 1, 'the first follow');

    // Mia's like through the doomed process waits for lou's head, held by the test.
    const held = await holdHead(lou.user.id);
    const killedLike = outcome(
      signedIn(doomed.url, mia).client.posts.like.mutate({ postId: post.id }),
    );
    const [likePid] = await waitForHeadWaiters(admin, 1);
    doomed.signal('SIGKILL');
    await doomed.exited;
    await held.release();
    // Its backend takes the head, then finds its client gone and rolls back.
    await vi.waitFor(async () => {
      const [row] = await admin<{ n: number }[]>`
        select count(*)::int as n from pg_stat_activity where pid = ${likePid ?? 0}`;
      expect(row?.n).toBe(0);
    });
    expect(await killedLike).toBe('told it failed');

    // While lou's stream has nowhere to connect: more activity through A.
    await mia.client.comments.add.mutate({ postId: post.id, body: 'while it was down' }); // 2
    await mia.client.follows.follow.mutate({ userId: lou.user.id }); // 3
    doomed = await start({}, port);
    // The client reconnects by itself, resuming from the last id it had.
    await ned.client.posts.like.mutate({ postId: post.id }); // 4
    const { received, expected } = await wireAndDatabase(watch, database.db, lou.user.id, {
      timeoutMs: 20_000,
    });
    expect(expected.notifications.map((row) => row.type)).toEqual([
      'follow',
      'comment',
      'follow',
      'like',
    ]);
    expect(received).toEqual(expected);
    expect(connections(watch)).toBeGreaterThan(1);
    // Neither the like nor its notification was left behind.
    const mias = await database.db
      .select({ postId: likes.postId })
      .from(likes)
      .where(eq(likes.userId, mia.user.id));
    expect(mias).toEqual([]);
    const [left] = await database.db
      .select({ id: notifications.id })
      .from(notifications)
      .where(and(eq(notifications.actorId, mia.user.id), eq(notifications.type, 'like')));
    expect(left).toBeUndefined();
    watch.stop();
  }, 60_000);

  test('a process frozen inside a like holds nobody up past its idle timeout: activity to the same person through another process goes through meanwhile, and the frozen like fails cleanly', async () => {
    const oli = await signUpPerson(b.url, 'idleoli');
    const [pat, quin] = await Promise.all([
      signUpPerson(a.url, 'idlepat'),
      signUpPerson(b.url, 'idlequin'),
    ]);
    const post = await upload(signedIn(a.url, oli));
    const watch = watchActivity(oli.client);
    await watch.started();
    await quin.client.posts.like.mutate({ postId: post.id }); // 1
    await watch.until(() => watch.deliveries.length === 1, 'the first like');

    const held = await holdHead(oli.user.id);
    const frozenLike = outcome(pat.client.posts.like.mutate({ postId: post.id }));
    const [likePid] = await waitForHeadWaiters(admin, 1);
    a.signal('SIGSTOP');
    try {
      await held.release();
      await vi.waitFor(async () => {
        const [row] = await admin<{ state: string }[]>`
          select state from pg_stat_activity where pid = ${likePid ?? 0}`;
        expect(row?.state).toBe('idle in transaction');
      });
      // PostgreSQL ends a transaction that holds heads after 10 s idle (boundHeadLocks),
      // a like's as an upload's: without it the follow would wait for as long as A is frozen.
      const follow = outcome(quin.client.follows.follow.mutate({ userId: oli.user.id }));
      const within = await Promise.race([
        follow,
        new Promise<string>((resolve) => setTimeout(() => resolve('still waiting'), 15_000)),
      ]);
      // What holds it up, if anything: the frozen like, and who waits for Oli's head.
      const stuck = await admin<{ who: string; state: string; waiting: string | null }[]>`
        select case when pid = ${likePid ?? 0} then 'the frozen like' else 'waiting' end as who,
               state, wait_event_type as waiting
        from pg_stat_activity
        where pid = ${likePid ?? 0}
           or (wait_event_type = 'Lock' and query ilike '%notification_heads%')`;
      expect(within, `a follow while A is frozen, 15 s later: ${JSON.stringify(stuck)}`).toBe(
        'told it succeeded',
      );
    } finally {
      a.signal('SIGCONT');
    }
    expect(await frozenLike).toBe('told it failed');
    const { received, expected } = await wireAndDatabase(watch, database.db, oli.user.id);
    expect(expected.notifications.map((row) => row.type)).toEqual(['like', 'follow']);
    expect(received).toEqual(expected);
  }, 60_000);
});
