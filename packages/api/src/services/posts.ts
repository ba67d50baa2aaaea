import { type Post, PostMessages, UserMessages } from '@photogram/contracts';
import { type Database, likes, posts, type Transaction, users } from '@photogram/db';
import { and, desc, eq, lt, type SQL, sql } from 'drizzle-orm';
import { ForbiddenError, NotFoundError } from '../errors';
import type { DecodePool } from '../media/decode-pool';
import { processImage } from '../media/pipeline';
import type { MediaStorage } from '../media/storage';
import { mediaUrl } from '../media/urls';
import type { NotificationBus } from '../realtime/bus';
import {
  boundHeadLocks,
  lockUploadHeads,
  mentionActivities,
  publishActivity,
  recordActivity,
} from './activity';
import { lockMediaKeys, releaseMedia } from './media-keys';
import { fanOutUpload } from './notifications';
import { parseIdCursor, toPage } from './pagination';
import { toUserSummary, type UserSummaryRow, userSummaryColumns } from './user-summary';

export interface PostDeps {
  db: Database;
  media: MediaStorage;
  bus: NotificationBus;
  /** Where decodes wait their turn (`ApiDeps.decodes`); none decodes at once. */
  decodes?: DecodePool;
  reportError(error: unknown, message: string): void;
}

const postColumns = {
  id: posts.id,
  caption: posts.caption,
  altText: posts.altText,
  likeCount: posts.likeCount,
  commentCount: posts.commentCount,
  imageKey: posts.imageKey,
  thumbKey: posts.thumbKey,
  width: posts.width,
  height: posts.height,
  createdAt: posts.createdAt,
  author: userSummaryColumns,
};
/** A post as `selectPosts` reads it. */
export type PostRow = {
  id: number;
  caption: string;
  altText: string;
  likeCount: number;
  commentCount: number;
  likedByMe: boolean;
  imageKey: string;
  thumbKey: string;
  width: number;
  height: number;
  createdAt: Date;
  author: UserSummaryRow;
};

export function toPost(row: PostRow): Post {
  return {
    id: String(row.id),
    author: toUserSummary(row.author),
    caption: row.caption,
    altText: row.altText,
    createdAt: row.createdAt,
    image: {
      url: mediaUrl(row.imageKey),
      thumbUrl: mediaUrl(row.thumbKey),
      width: row.width,
      height: row.height,
    },
    likeCount: row.likeCount,
    likedByMe: row.likedByMe,
    commentCount: row.commentCount,
  };
}

/**
 * Posts with their authors, newest first: `where` picks them, `limit` caps them, and
 * `viewerId` is whose `likedByMe` it is (null: signed out). The counts are columns and
 * the like is one primary-key probe per row, so a page costs one query however many
 * likes and comments its posts have.
 */
export function selectPosts(
  db: Database | Transaction,
  where: SQL | undefined,
  limit: number,
  viewerId: string | null,
) {
  const likedByMe =
    viewerId === null
      ? sql<boolean>`false`
      : sql<boolean>`exists (select 1 from ${likes} where ${likes.postId} = ${posts.id} and ${likes.userId} = ${viewerId})`;
  return db
    .select({ ...postColumns, likedByMe })
    .from(posts)
    .innerJoin(users, eq(users.id, posts.authorId))
    .where(where)
    .orderBy(desc(posts.id))
    .limit(limit);
}

/**
 * Decodes, stores and records a photo. All or nothing: if any step fails, no row remains
 * and the files no post uses are removed (or, if the database is gone too, swept later).
 * Once the transaction has committed nothing can fail the call any more: the post is
 * read inside it, and the publish afterwards only logs its errors.
 */
export async function createPost(
  deps: PostDeps,
  params: {
    authorId: string;
    image: Blob;
    caption: string;
    altText?: string;
    maxPixels?: number;
  },
): Promise<Post> {
  const bytes = Buffer.from(await params.image.arrayBuffer());
  const processed = await processImage(bytes, {
    decodes: deps.decodes,
    maxPixels: params.maxPixels,
  });
  const keys = [processed.display.key, processed.thumb.key];
  let post: Post;
  let recipients: Awaited<ReturnType<typeof fanOutUpload>> = [];
  let mentioned: string[] = [];
  try {
    post = await deps.db.transaction(async (tx) => {
      // The fan-out locks the followers' heads: every upload to a shared follower waits.
      await boundHeadLocks(tx);
      await lockMediaKeys(tx, keys, 'shared');
      for (const variant of [processed.display, processed.thumb]) {
        if (!(await deps.media.exists(variant.key)))
          await deps.media.put(variant.key, variant.data);
      }
      const [row] = await tx
        .insert(posts)
        .values({
          authorId: params.authorId,
          caption: params.caption,
          altText: params.altText ?? '',
          imageKey: processed.display.key,
          thumbKey: processed.thumb.key,
          width: processed.display.width,
          height: processed.display.height,
        })
        .returning({ id: posts.id });
      if (!row) throw new Error('insert into posts returned no row');
      // "@bob look": bob hears of it (a mention), follower or not.
      const mentions = await mentionActivities(tx, {
        text: params.caption,
        actorId: params.authorId,
        postId: row.id,
      });
      if (mentions.length > 0) {
        await lockUploadHeads(tx, {
          authorId: params.authorId,
          mentioned: mentions.map((mention) => mention.recipientId),
        });
      }
      recipients = await fanOutUpload(tx, { postId: row.id, authorId: params.authorId });
      mentioned = await recordActivity(tx, mentions);
      return getPost(tx, { postId: String(row.id), viewerId: params.authorId });
    });
  } catch (error: unknown) {
    await releaseMedia(deps, keys).catch((cleanup: unknown) => {
      deps.reportError(cleanup, 'removing the files of a failed upload failed; the sweeper will');
    });
    throw error;
  }
  // Only now, after commit: a follower must never hear of a post it cannot read yet.
  if (recipients.length > 0) {
    const event = {
      postId: post.id,
      committedAt: Date.now(),
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
  await publishActivity(deps, mentioned);
  return post;
}

export async function getPost(
  db: Database | Transaction,
  params: { postId: string; viewerId: string | null },
): Promise<Post> {
  const [row] = await selectPosts(db, eq(posts.id, Number(params.postId)), 1, params.viewerId);
  if (!row) throw new NotFoundError(PostMessages.postNotFound);
  return toPost(row);
}

export async function listPostsByUser(
  db: Database,
  params: { userId: string; cursor?: string | null; limit: number; viewerId: string | null },
) {
  const [author] = await db.select({ id: users.id }).from(users).where(eq(users.id, params.userId));
  if (!author) throw new NotFoundError(UserMessages.userNotFound);
  const cursor = parseIdCursor(params.cursor);
  const rows = await selectPosts(
    db,
    and(eq(posts.authorId, params.userId), cursor === undefined ? undefined : lt(posts.id, cursor)),
    params.limit + 1,
    params.viewerId,
  );
  return toPage(rows, params.limit, toPost, (row) => row.id);
}

/** Deletes a post (author only) and the files no other post uses. */
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
    return [post.imageKey, post.thumbKey];
  });
  // After commit: a failure here leaves an unused file for the sweeper, never a post
  // without its image.
  await releaseMedia(deps, keys).catch((error: unknown) => {
    deps.reportError(error, 'removing the files of a deleted post failed; the sweeper will');
  });
  return { ok: true as const };
}
