import { type Post, PostMessages, UserMessages } from '@photogram/contracts';
import { type Database, follows, posts, queryRows, users } from '@photogram/db';
import { and, count, desc, eq, inArray, lt, or, type SQL, sql } from 'drizzle-orm';
import { ForbiddenError, NotFoundError } from '../errors';
import { type ProcessedImage, processImage } from '../media/pipeline';
import type { MediaStorage } from '../media/storage';
import { mediaUrl } from '../media/urls';
import type { NotificationBus } from '../realtime/bus';
import { fanOutUpload } from './notifications';
import { parseIdCursor, toPage } from './pagination';
import { toUserSummary, userSummaryColumns } from './profiles';

export interface PostDeps {
  db: Database;
  media: MediaStorage;
  bus: NotificationBus;
  reportError(error: unknown, message: string): void;
}

const postColumns = {
  id: posts.id,
  caption: posts.caption,
  imageKey: posts.imageKey,
  thumbKey: posts.thumbKey,
  width: posts.width,
  height: posts.height,
  createdAt: posts.createdAt,
  author: userSummaryColumns,
};
type PostRow = {
  id: number;
  caption: string;
  imageKey: string;
  thumbKey: string;
  width: number;
  height: number;
  createdAt: Date;
  author: { id: string; username: string; displayName: string };
};

function toPost(row: PostRow): Post {
  return {
    id: String(row.id),
    author: toUserSummary(row.author),
    caption: row.caption,
    createdAt: row.createdAt,
    image: {
      url: mediaUrl(row.imageKey),
      thumbUrl: mediaUrl(row.thumbKey),
      width: row.width,
      height: row.height,
    },
  };
}

function selectPosts(db: Database, where: SQL | undefined, limit: number) {
  return db
    .select(postColumns)
    .from(posts)
    .innerJoin(users, eq(users.id, posts.authorId))
    .where(where)
    .orderBy(desc(posts.id))
    .limit(limit);
}

/** Stores the variants that are not stored yet; returns the keys this call wrote. */
async function storeVariants(media: MediaStorage, image: ProcessedImage): Promise<string[]> {
  const written: string[] = [];
  try {
    for (const variant of [image.display, image.thumb]) {
      // Content-addressed: identical bytes already stored belong to another post too.
      if (await media.exists(variant.key)) continue;
      await media.put(variant.key, variant.data);
      written.push(variant.key);
    }
    return written;
  } catch (error: unknown) {
    await removeKeys(media, written);
    throw error;
  }
}

async function removeKeys(media: MediaStorage, keys: string[]) {
  await Promise.allSettled(keys.map((key) => media.delete(key)));
}

/**
 * Decodes, stores and records a photo. All or nothing: if any step fails, no row and
 * no file written by this call remain.
 */
export async function createPost(
  deps: PostDeps,
  params: { authorId: string; image: Blob; caption: string; maxPixels?: number },
): Promise<Post> {
  const bytes = Buffer.from(await params.image.arrayBuffer());
  const processed = await processImage(bytes, params.maxPixels);
  const written = await storeVariants(deps.media, processed);
  let post: Post;
  let recipients: Awaited<ReturnType<typeof fanOutUpload>> = [];
  try {
    const id = await deps.db.transaction(async (tx) => {
      // Replay looks back REPLAY_LOOK_BACK_SECONDS (60 s) for late commits; two statements
      // of at most 20 s each keep this transaction well inside that window.
      await tx.execute(sql`set local statement_timeout = '20s'`);
      const [row] = await tx
        .insert(posts)
        .values({
          authorId: params.authorId,
          caption: params.caption,
          imageKey: processed.display.key,
          thumbKey: processed.thumb.key,
          width: processed.display.width,
          height: processed.display.height,
        })
        .returning({ id: posts.id });
      if (!row) throw new Error('insert into posts returned no row');
      recipients = await fanOutUpload(tx, { postId: row.id, authorId: params.authorId });
      return row.id;
    });
    post = await getPost(deps.db, { postId: String(id) });
  } catch (error: unknown) {
    await removeKeys(deps.media, written);
    throw error;
  }
  // Only now, after commit: a follower must never hear of a post it cannot read yet.
  if (recipients.length > 0) {
    const event = {
      postId: post.id,
      notification: {
        type: 'upload' as const,
        createdAt: post.createdAt,
        read: false,
        actor: post.author,
        post: { id: post.id, caption: post.caption, thumbUrl: post.image.thumbUrl },
      },
      recipients,
    };
    // The rows are committed; a follower who misses the live event gets it on replay.
    await deps.bus.publish(event).catch((error: unknown) => {
      deps.reportError(error, 'publishing an upload failed');
    });
  }
  return post;
}

export async function getPost(db: Database, params: { postId: string }): Promise<Post> {
  const [row] = await selectPosts(db, eq(posts.id, Number(params.postId)), 1);
  if (!row) throw new NotFoundError(PostMessages.postNotFound);
  return toPost(row);
}

export async function listPostsByUser(
  db: Database,
  params: { userId: string; cursor?: string | null; limit: number },
) {
  const [author] = await db.select({ id: users.id }).from(users).where(eq(users.id, params.userId));
  if (!author) throw new NotFoundError(UserMessages.userNotFound);
  const cursor = parseIdCursor(params.cursor);
  const rows = await selectPosts(
    db,
    and(eq(posts.authorId, params.userId), cursor === undefined ? undefined : lt(posts.id, cursor)),
    params.limit + 1,
  );
  return toPage(rows, params.limit, toPost, (row) => row.id);
}

/**
 * Below this many followed people, the feed is read per author (one short index range
 * each, merged); above it, by walking the newest posts and keeping the followed ones.
 * Measured on 1,000,000 posts: walking costs ~1 ms for someone following 500 active
 * people but ~0.5 s for someone following one quiet person, where per-author reads cost
 * ~1 ms; per-author reads for 500 people cost ~80 ms.
 */
const PER_AUTHOR_FEED_LIMIT = 100;

/** The viewer's own posts and those of everyone they follow, newest first. */
export async function listFeed(
  db: Database,
  params: { viewerId: string; cursor?: string | null; limit: number },
) {
  const cursor = parseIdCursor(params.cursor);
  const before = cursor === undefined ? undefined : lt(posts.id, cursor);
  const [followed] = await db
    .select({ n: count() })
    .from(follows)
    .where(eq(follows.followerId, params.viewerId));
  let rows: PostRow[];
  if ((followed?.n ?? 0) < PER_AUTHOR_FEED_LIMIT) {
    const ids = await queryRows(
      db,
      sql`select p.id from (
            select ${follows.followeeId} as author_id from ${follows} where ${follows.followerId} = ${params.viewerId}
            union all select ${params.viewerId}
          ) a cross join lateral (
            select id from ${posts}
            where ${posts.authorId} = a.author_id ${cursor === undefined ? sql`` : sql`and ${posts.id} < ${cursor}`}
            order by id desc limit ${params.limit + 1}
          ) p
          order by p.id desc limit ${params.limit + 1}`,
    );
    const wanted = ids.map((row) => Number(row.id));
    rows =
      wanted.length === 0 ? [] : await selectPosts(db, inArray(posts.id, wanted), wanted.length);
  } else {
    const followedIds = db
      .select({ id: follows.followeeId })
      .from(follows)
      .where(eq(follows.followerId, params.viewerId));
    rows = await selectPosts(
      db,
      and(or(eq(posts.authorId, params.viewerId), inArray(posts.authorId, followedIds)), before),
      params.limit + 1,
    );
  }
  return toPage(rows, params.limit, toPost, (row) => row.id);
}

/** Deletes a post (author only) and the files no other post shares. */
export async function deletePost(deps: PostDeps, params: { postId: string; userId: string }) {
  const keys = await deps.db.transaction(async (tx) => {
    const [post] = await tx
      .select({ authorId: posts.authorId, imageKey: posts.imageKey, thumbKey: posts.thumbKey })
      .from(posts)
      .where(eq(posts.id, Number(params.postId)))
      .for('update');
    if (!post) throw new NotFoundError(PostMessages.postNotFound);
    if (post.authorId !== params.userId) throw new ForbiddenError(PostMessages.notYourPost);
    await tx.delete(posts).where(eq(posts.id, Number(params.postId)));
    const unshared: string[] = [];
    for (const key of [post.imageKey, post.thumbKey]) {
      const column = key === post.imageKey ? posts.imageKey : posts.thumbKey;
      const [shared] = await tx.select({ n: count() }).from(posts).where(eq(column, key));
      if (!shared?.n) unshared.push(key);
    }
    return unshared;
  });
  // After commit: a failed unlink leaves an unreferenced file, never a post without its image.
  await Promise.all(keys.map((key) => deps.media.delete(key)));
  return { ok: true as const };
}
