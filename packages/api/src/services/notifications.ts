import type { UploadNotification } from '@photogram/contracts';
import { type Database, follows, notifications, posts, queryRows, users } from '@photogram/db';
import { and, asc, count, desc, eq, gt, gte, inArray, isNull, lt, lte, sql } from 'drizzle-orm';
import { mediaUrl } from '../media/urls';
import type { UploadEvent } from '../realtime/bus';
import { parseIdCursor, toPage } from './pagination';
import { toUserSummary, userSummaryColumns } from './profiles';

/**
 * How far before the resume cursor a replay looks again. Ids are drawn when a row is
 * inserted but become visible at commit, so a row with a smaller id than the cursor can
 * appear later; it cannot appear later than its own transaction's end, and the upload
 * transaction is two statements long. Clients drop the ids they already have.
 */
export const REPLAY_LOOK_BACK_SECONDS = 60;
const REPLAY_PAGE = 200;

type Transaction = Parameters<Parameters<Database['transaction']>[0]>[0];

/**
 * The fan-out: one statement inside the upload's transaction, one row per follower.
 * `INSERT … SELECT follower_id FROM follows WHERE followee_id = $author RETURNING …`.
 */
export async function fanOutUpload(
  tx: Transaction,
  params: { postId: number; authorId: string },
): Promise<Array<{ userId: string; notificationId: string }>> {
  // Raw SQL: drizzle's INSERT … SELECT insists on listing the generated id column.
  const rows = await queryRows(
    tx,
    sql`insert into ${notifications} (recipient_id, actor_id, post_id)
        select ${follows.followerId}, ${params.authorId}, ${params.postId}::bigint
        from ${follows} where ${follows.followeeId} = ${params.authorId}
        returning id, recipient_id`,
  );
  return rows.map((row) => ({ userId: String(row.recipient_id), notificationId: String(row.id) }));
}

const notificationColumns = {
  id: notifications.id,
  recipientId: notifications.recipientId,
  createdAt: notifications.createdAt,
  readAt: notifications.readAt,
  actor: userSummaryColumns,
  postId: posts.id,
  caption: posts.caption,
  thumbKey: posts.thumbKey,
};
type NotificationRow = {
  id: number;
  recipientId: string;
  createdAt: Date;
  readAt: Date | null;
  actor: { id: string; username: string; displayName: string };
  postId: number;
  caption: string;
  thumbKey: string;
};

function toNotification(row: NotificationRow): UploadNotification {
  return {
    id: String(row.id),
    type: 'upload',
    createdAt: row.createdAt,
    read: row.readAt !== null,
    actor: toUserSummary(row.actor),
    post: { id: String(row.postId), caption: row.caption, thumbUrl: mediaUrl(row.thumbKey) },
  };
}

function selectNotifications(db: Database) {
  return db
    .select(notificationColumns)
    .from(notifications)
    .innerJoin(posts, eq(posts.id, notifications.postId))
    .innerJoin(users, eq(users.id, notifications.actorId));
}

export async function listNotifications(
  db: Database,
  params: { userId: string; cursor?: string | null; limit: number },
) {
  const cursor = parseIdCursor(params.cursor);
  const rows = await selectNotifications(db)
    .where(
      and(
        eq(notifications.recipientId, params.userId),
        cursor === undefined ? undefined : lt(notifications.id, cursor),
      ),
    )
    .orderBy(desc(notifications.id))
    .limit(params.limit + 1);
  return toPage(rows, params.limit, toNotification, (row) => row.id);
}

export async function unreadCount(db: Database, params: { userId: string }) {
  const [row] = await db
    .select({ count: count() })
    .from(notifications)
    .where(and(eq(notifications.recipientId, params.userId), isNull(notifications.readAt)));
  return { count: row?.count ?? 0 };
}

/** Marks the given notifications of this user read; returns how many changed. */
export async function markRead(db: Database, params: { userId: string; ids?: string[] }) {
  const rows = await db
    .update(notifications)
    .set({ readAt: sql`now()` })
    .where(
      and(
        eq(notifications.recipientId, params.userId),
        isNull(notifications.readAt),
        params.ids ? inArray(notifications.id, params.ids.map(Number)) : undefined,
      ),
    )
    .returning({ id: notifications.id });
  return { count: rows.length };
}

/**
 * What a reconnecting subscription missed after `afterId`, oldest first: the rows after
 * the cursor plus the look-back window before it (see `REPLAY_LOOK_BACK_SECONDS`).
 */
export async function* replayNotifications(
  db: Database,
  params: { userId: string; afterId: string },
): AsyncGenerator<UploadNotification> {
  const after = Number(params.afterId);
  const mine = eq(notifications.recipientId, params.userId);
  const [cursorRow] = await db
    .select({ createdAt: notifications.createdAt })
    .from(notifications)
    .where(and(mine, eq(notifications.id, after)));
  // Without the cursor's row (its post was deleted), look back from the newest row before it.
  const [anchor] = cursorRow
    ? [cursorRow]
    : await db
        .select({ createdAt: notifications.createdAt })
        .from(notifications)
        .where(and(mine, lte(notifications.id, after)))
        .orderBy(desc(notifications.id))
        .limit(1);
  if (anchor) {
    const since = new Date(anchor.createdAt.getTime() - REPLAY_LOOK_BACK_SECONDS * 1000);
    const lookBack = await selectNotifications(db)
      .where(and(mine, gte(notifications.createdAt, since), lte(notifications.id, after)))
      .orderBy(asc(notifications.id));
    for (const row of lookBack) yield toNotification(row);
  }
  let cursor = after;
  for (;;) {
    const rows = await selectNotifications(db)
      .where(and(mine, gt(notifications.id, cursor)))
      .orderBy(asc(notifications.id))
      .limit(REPLAY_PAGE);
    for (const row of rows) yield toNotification(row);
    const last = rows.at(-1);
    if (!last || rows.length < REPLAY_PAGE) return;
    cursor = last.id;
  }
}

/** Rebuilds an upload's event for the given recipients (those connected to one process). */
export async function loadUploadEvent(
  db: Database,
  params: { postId: string; recipientIds: string[] },
): Promise<UploadEvent | null> {
  if (params.recipientIds.length === 0) return null;
  const rows = await selectNotifications(db)
    .where(
      and(
        eq(notifications.postId, Number(params.postId)),
        inArray(notifications.recipientId, params.recipientIds),
      ),
    )
    .orderBy(asc(notifications.id));
  const first = rows[0];
  if (!first) return null;
  const { id: _id, ...notification } = toNotification(first);
  return {
    postId: params.postId,
    notification: { ...notification, read: false },
    recipients: rows.map((row) => ({ userId: row.recipientId, notificationId: String(row.id) })),
  };
}
