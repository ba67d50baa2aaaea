import { type Database, follows, likes, posts, users } from '@photogram/db';
import { desc, eq, inArray, or, sql } from 'drizzle-orm';
import { signedInClient } from './api-client';
import { startPhotogram } from './children';
import { createBenchDatabase, seededUser, seedFollowing, seedPosts, seedUsers } from './database';
import { quantile, type Summary, summarize } from './stats';

/** A `Summary` with its 95th percentile, which the feed's rows report in the notes. */
export interface FeedLatency extends Summary {
  p95: number;
}

export interface FeedRun {
  transport: string | null;
  users: number;
  posts: number;
  following: number;
  /** Likes seeded (three on each of the newest posts, and the viewer's). */
  likes: number;
  seedSeconds: number;
  /** Milliseconds per `feed.list` call, request to response. */
  latency: FeedLatency;
  perSecond: number;
  /**
   * The same first page read straight from the database in the bench process, before the
   * server starts: `social` with the columns issue 14 added to every post (the counts,
   * `likedByMe`, the author's avatar), `plain` without them (the page as it was before).
   * Measured in turns, so whatever else the machine does hits both alike.
   */
  direct: { social: FeedLatency; plain: FeedLatency };
  /** Items on the first page (should be the limit). */
  pageSize: number;
}

export interface FeedOptions {
  databaseUrl: string | undefined;
  users: number;
  posts: number;
  following: number;
  calls: number;
  log(message: string): void;
}

const LIMIT = 20;
/** Posts, newest first, that get three likes each from other people. */
const LIKED_POSTS = 100_000;

function summarizeFeed(values: readonly number[]): FeedLatency {
  return {
    ...summarize(values),
    p95: quantile(
      [...values].sort((a, b) => a - b),
      0.95,
    ),
  };
}

/**
 * Three likes on each of the newest posts and the viewer's like on every third post of
 * the people they follow, with `like_count` kept as the like transaction keeps it, so
 * `likedByMe` probes a likes table of some size and finds some. Comment rows are not
 * seeded: the feed reads only the `comment_count` column.
 */
async function seedLikes(db: Database, prefix: string, users: number, viewerId: string) {
  await db.execute(sql`
    insert into likes (post_id, user_id)
    select p.id, ${prefix}::text || (1 + (p.id * 7 + j * 1009) % ${users}::int)
    from posts p cross join generate_series(1, 3) as j
    where p.id > (select max(id) from posts) - ${LIKED_POSTS}::int
    on conflict do nothing`);
  await db.execute(sql`
    insert into likes (post_id, user_id)
    select p.id, ${viewerId}::text
    from posts p join follows f on f.followee_id = p.author_id and f.follower_id = ${viewerId}::text
    where p.id % 3 = 0
    on conflict do nothing`);
  await db.execute(sql`
    update posts set like_count = c.n
    from (select post_id, count(*)::int as n from likes group by post_id) c
    where posts.id = c.post_id`);
  await db.execute(sql`vacuum analyze`);
  const [row] = await db.select({ n: sql<number>`count(*)::int` }).from(likes);
  return row?.n ?? 0;
}

/**
 * The feed's first page as `listFeed` reads it for someone following many people (newest
 * posts by the viewer or the people they follow). `social`: as it reads it now, the
 * page's ids in a subquery and then the posts with the columns issue 14 added (counts,
 * `likedByMe`, the author's avatar), as `selectPosts` in packages/api/src/services/posts.ts
 * selects them; `plain`: the page as it was read before issue 14. The services are not
 * exported, so the bench builds the same statements from the package's schema.
 */
function directPage(db: Database, viewerId: string, social: boolean) {
  const followed = db
    .select({ id: follows.followeeId })
    .from(follows)
    .where(eq(follows.followerId, viewerId));
  const mine = or(eq(posts.authorId, viewerId), inArray(posts.authorId, followed));
  const plainColumns = {
    id: posts.id,
    caption: posts.caption,
    imageKey: posts.imageKey,
    thumbKey: posts.thumbKey,
    width: posts.width,
    height: posts.height,
    createdAt: posts.createdAt,
    author: { id: users.id, username: users.username, displayName: users.displayName },
  };
  if (!social) {
    return db
      .select(plainColumns)
      .from(posts)
      .innerJoin(users, eq(users.id, posts.authorId))
      .where(mine)
      .orderBy(desc(posts.id))
      .limit(LIMIT + 1);
  }
  const page = db
    .select({ id: posts.id })
    .from(posts)
    .where(mine)
    .orderBy(desc(posts.id))
    .limit(LIMIT + 1);
  return db
    .select({
      ...plainColumns,
      altText: posts.altText,
      likeCount: posts.likeCount,
      commentCount: posts.commentCount,
      likedByMe: sql<boolean>`exists (select 1 from ${likes} where ${likes.postId} = ${posts.id} and ${likes.userId} = ${viewerId})`,
      author: { ...plainColumns.author, avatarThumbKey: users.avatarThumbKey },
    })
    .from(posts)
    .innerJoin(users, eq(users.id, posts.authorId))
    .where(inArray(posts.id, page))
    .orderBy(desc(posts.id))
    .limit(LIMIT + 1);
}

async function timeDirect(db: Database, viewerId: string, calls: number) {
  const social: number[] = [];
  const plain: number[] = [];
  for (let i = 0; i < 10; i++) {
    await directPage(db, viewerId, true);
    await directPage(db, viewerId, false);
  }
  for (let i = 0; i < calls; i++) {
    // Alternate which goes first, so neither always follows the other's cache effects.
    for (const withSocial of i % 2 === 0 ? [true, false] : [false, true]) {
      const started = performance.now();
      await directPage(db, viewerId, withSocial);
      (withSocial ? social : plain).push(performance.now() - started);
    }
  }
  return { social: summarizeFeed(social), plain: summarizeFeed(plain) };
}

/** The first page of the feed, over and over, for a user who follows `following` people. */
export async function runFeed(options: FeedOptions): Promise<FeedRun> {
  const viewer = seededUser('feed', 1);
  const database = await createBenchDatabase('feed', options.databaseUrl);
  try {
    const seedingStarted = performance.now();
    const seeding = await database.open();
    let likeRows = 0;
    let seedSeconds = 0;
    let direct: FeedRun['direct'];
    try {
      await seedUsers(seeding.db, 'feed', options.users);
      await seedFollowing(seeding.db, viewer.id, 'feed', 2, options.following + 1);
      await seedPosts(seeding.db, 'feed', options.users, options.posts, (done) =>
        options.log(`  ${done.toLocaleString('en-US')} posts`),
      );
      likeRows = await seedLikes(seeding.db, 'feed', options.users, viewer.id);
      seedSeconds = (performance.now() - seedingStarted) / 1000;
      options.log(
        `  seeded in ${seedSeconds.toFixed(0)} s (${likeRows.toLocaleString('en-US')} likes)`,
      );
      // PGlite allows one process per folder: read it straight before the server opens it.
      options.log('  the page straight from the database, with and without the social columns');
      direct = await timeDirect(seeding.db, viewer.id, options.calls);
    } finally {
      await seeding.close();
    }

    const server = await startPhotogram(database);
    try {
      const client = signedInClient(server.url, viewer.session);
      let pageSize = 0;
      // Warm-up: first calls compile the query path and fill the database's caches.
      for (let i = 0; i < 10; i++) {
        pageSize = (await client.feed.list.query({ limit: LIMIT })).items.length;
      }
      const latencies: number[] = [];
      const started = performance.now();
      for (let i = 0; i < options.calls; i++) {
        const callStarted = performance.now();
        await client.feed.list.query({ limit: LIMIT });
        latencies.push(performance.now() - callStarted);
      }
      const seconds = (performance.now() - started) / 1000;
      return {
        transport: server.ready.transport,
        users: options.users,
        posts: options.posts,
        following: options.following,
        likes: likeRows,
        seedSeconds,
        latency: summarizeFeed(latencies),
        perSecond: latencies.length / seconds,
        direct,
        pageSize,
      };
    } finally {
      await server.stop();
    }
  } finally {
    await database.remove();
  }
}
