import { type Database, queryRows } from '@photogram/db';
import { sql } from 'drizzle-orm';
import { signedInClient } from './api-client';
import { startPhotogram } from './children';
import { createBenchDatabase, seededUser, seedUsers } from './database';
import { type Summary, summarize } from './stats';

export interface InboxRun {
  transport: string | null;
  notifications: number;
  unread: number;
  /** Rows the whole inbox makes (groups and lone notifications). */
  rows: number;
  seedSeconds: number;
  /** Milliseconds per call through the typed client. */
  firstPage: Summary;
  deepPage: Summary;
  /** The first page of someone whose post got `VIRAL_LIKES` likes in one group. */
  viralPage: Summary;
  unreadCount: Summary;
  /**
   * The statements the inbox ran before it walked (every page grouped the whole inbox; the
   * badge counted every unread notification), read straight from the database in the
   * bench process before the server starts.
   */
  before: { page: Summary; unreadCount: Summary; viralPage: Summary };
  /** What the server answered, to show the page and the badge are the real thing. */
  pageSize: number;
  badge: { count: number; capped: boolean };
}

export interface InboxOptions {
  databaseUrl: string | undefined;
  notifications: number;
  calls: number;
  log(message: string): void;
}

const LIMIT = 20;
const USERS = 1_000;
const OWN_POSTS = 200;
/** Notifications in a row that belong to one like group (with uploads between them). */
const GROUP_SPAN = 3_000;
/** Likes in the one group of the second person's inbox, under 19 uploads. */
export const VIRAL_LIKES = 100_000;

/** A second person: one post liked `VIRAL_LIKES` times in one group, 19 uploads since. */
async function seedViral(db: Database, ownerId: string) {
  await db.execute(sql`
    insert into posts (author_id, caption, image_key, thumb_key, width, height)
    values (${ownerId}, 'viral', '00/viral.webp', '00/viral-t.webp', 1080, 810)`);
  const [post] = await queryRows(
    db,
    sql`select max(id) as id from posts where author_id = ${ownerId}`,
  );
  await db.execute(sql`
    insert into notifications (recipient_id, actor_id, post_id, type, group_key, seq)
    select ${ownerId}::text, 'inbox' || (3 + i % ${USERS - 2}::int), ${Number(post?.id)}::bigint,
           'like', 'like:viral', i
    from generate_series(1, ${VIRAL_LIKES}::int) as i`);
  await db.execute(sql`
    insert into notifications (recipient_id, actor_id, post_id, type, seq)
    select ${ownerId}::text, 'inbox' || (3 + i), ${Number(post?.id)}::bigint, 'upload', i
    from generate_series(1, 19) as i`);
  await db.execute(sql`analyze`);
}

/**
 * The inbox of someone popular: `count` notifications, one in three an upload by someone
 * they follow (a row of its own), the rest likes of their posts, grouped as
 * `recordActivity` groups them (one post's likes within a span, here every `GROUP_SPAN`
 * notifications). The newest tenth is unread. Written straight in: going through the API
 * would measure the like transaction, not the inbox.
 */
async function seedInbox(db: Database, ownerId: string, count: number) {
  await db.execute(sql`
    insert into posts (author_id, caption, image_key, thumb_key, width, height)
    select ${ownerId}::text, 'Post ' || i, '00/inbox' || i || '.webp', '00/inbox-t' || i || '.webp', 1080, 810
    from generate_series(1, ${OWN_POSTS}::int) as i`);
  const [first] = await queryRows(
    db,
    sql`select min(id) as id from posts where author_id = ${ownerId}`,
  );
  const firstPost = Number(first?.id);
  const batch = 100_000;
  for (let start = 1; start <= count; start += batch) {
    const end = Math.min(count, start + batch - 1);
    await db.execute(sql`
      insert into notifications (recipient_id, actor_id, post_id, type, group_key, seq, created_at, read_at)
      select ${ownerId}::text,
             'inbox' || (2 + i % ${USERS - 1}::int),
             ${firstPost}::bigint + (i / ${GROUP_SPAN}::int) % ${OWN_POSTS}::int,
             case when i % 3 = 0 then 'upload' else 'like' end,
             case when i % 3 = 0 then null
                  else 'like:' || (${firstPost}::bigint + (i / ${GROUP_SPAN}::int) % ${OWN_POSTS}::int)
                       || ':' || (i / ${GROUP_SPAN}::int) end,
             i,
             now() - make_interval(secs => ${count}::int - i),
             case when i <= ${Math.floor(count * 0.9)}::int then now() end
      from generate_series(${start}::int, ${end}::int) as i`);
  }
  await db.execute(sql`analyze`);
  const [shape] = await queryRows(
    db,
    sql`select count(distinct coalesce(group_key, 'n:' || id))::int as rows,
               count(*) filter (where read_at is null)::int as unread
        from notifications where recipient_id = ${ownerId}`,
  );
  return { rows: Number(shape?.rows), unread: Number(shape?.unread) };
}

/** The statements of the inbox before the walk, as they were (see `InboxRun.before`). */
async function timeBefore(db: Database, ownerId: string, viralId: string, calls: number) {
  const page = (who = ownerId) =>
    db.execute(sql`
      select coalesce(group_key, 'n:' || id) as key, min(type) as type, count(*)::int as count,
             count(distinct actor_id)::int as actor_count, max(id) as latest_id,
             max(created_at) as latest_at, bool_and(read_at is not null) as read
      from notifications where recipient_id = ${who}
      group by 1 order by latest_id desc limit ${LIMIT + 1}`);
  const badge = () =>
    db.execute(sql`
      select count(distinct coalesce(group_key, 'n:' || id))::int as count
      from notifications where recipient_id = ${ownerId} and read_at is null`);
  return {
    page: summarize(await timed(() => page(), calls)),
    unreadCount: summarize(await timed(badge, calls)),
    viralPage: summarize(await timed(() => page(viralId), calls)),
  };
}

async function timed(call: () => Promise<unknown>, calls: number) {
  for (let i = 0; i < 3; i++) await call();
  const values: number[] = [];
  for (let i = 0; i < calls; i++) {
    const started = performance.now();
    await call();
    values.push(performance.now() - started);
  }
  return values;
}

/** The inbox of one person with `notifications` notifications, through the server. */
export async function runInbox(options: InboxOptions): Promise<InboxRun> {
  const owner = seededUser('inbox', 1);
  const viral = seededUser('inbox', 2);
  const database = await createBenchDatabase('inbox', options.databaseUrl);
  try {
    const seedingStarted = performance.now();
    const seeding = await database.open();
    let shape: { rows: number; unread: number };
    let before: InboxRun['before'];
    let deepCursor: string;
    let seedSeconds = 0;
    try {
      await seedUsers(seeding.db, 'inbox', USERS);
      shape = await seedInbox(seeding.db, owner.id, options.notifications);
      await seedViral(seeding.db, viral.id);
      seedSeconds = (performance.now() - seedingStarted) / 1000;
      options.log(
        `  seeded in ${seedSeconds.toFixed(0)} s (${shape.rows.toLocaleString('en-US')} rows)`,
      );
      // A page half way down the inbox: its cursor is the id in the middle.
      const [middle] = await queryRows(
        seeding.db,
        sql`select percentile_disc(0.5) within group (order by id) as id
            from notifications where recipient_id = ${owner.id}`,
      );
      deepCursor = String(middle?.id);
      // PGlite allows one process per folder: read it straight before the server opens it.
      options.log('  the inbox as it was read before, straight from the database');
      before = await timeBefore(seeding.db, owner.id, viral.id, options.calls);
    } finally {
      await seeding.close();
    }

    const server = await startPhotogram(database);
    try {
      const client = signedInClient(server.url, owner.session);
      const page = await client.notifications.groups.query({ limit: LIMIT });
      const badge = await client.notifications.unreadCount.query();
      return {
        transport: server.ready.transport,
        notifications: options.notifications,
        unread: shape.unread,
        rows: shape.rows,
        seedSeconds,
        firstPage: summarize(
          await timed(() => client.notifications.groups.query({ limit: LIMIT }), options.calls),
        ),
        deepPage: summarize(
          await timed(
            () => client.notifications.groups.query({ limit: LIMIT, cursor: deepCursor }),
            options.calls,
          ),
        ),
        unreadCount: summarize(
          await timed(() => client.notifications.unreadCount.query(), options.calls),
        ),
        viralPage: summarize(
          await timed(
            () =>
              signedInClient(server.url, viral.session).notifications.groups.query({
                limit: LIMIT,
              }),
            options.calls,
          ),
        ),
        before,
        pageSize: page.items.length,
        badge,
      };
    } finally {
      await server.stop();
    }
  } finally {
    await database.remove();
  }
}
