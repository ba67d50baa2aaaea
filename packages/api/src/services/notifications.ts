import type { UploadNotification } from '@photogram/contracts';
import {
  type Database,
  follows,
  notificationHeads,
  notifications,
  posts,
  queryRows,
  users,
} from '@photogram/db';
import { and, asc, count, desc, eq, gt, inArray, isNull, lt, sql } from 'drizzle-orm';
import { mediaUrl } from '../media/urls';
import type { UploadEvent } from '../realtime/bus';
import { parseIdCursor, toPage } from './pagination';
import { toUserSummary, type UserSummaryRow, userSummaryColumns } from './user-summary';

const REPLAY_PAGE = 200;

type Transaction = Parameters<Parameters<Database['transaction']>[0]>[0];

/**
 * The fan-out: one statement inside the upload's transaction, one row per follower.
 * Each follower's head in `notification_heads` is bumped (or created at 1), locked in
 * follower order so concurrent uploads to shared followers cannot deadlock; the row lock
 * is held to commit, so a follower's next notification cannot commit before this one.
 */
export async function fanOutUpload(
  tx: Transaction,
  params: { postId: number; authorId: string },
): Promise<Array<{ userId: string; notificationId: string; eventId: string }>> {
  // Raw SQL: drizzle's INSERT … SELECT insists on listing the generated id column.
  const rows = await queryRows(
    tx,
    sql`with heads as (
          insert into ${notificationHeads} (recipient_id, seq)
          select ${follows.followerId}, 1 from ${follows}
          where ${follows.followeeId} = ${params.authorId} and ${follows.notify}
          order by ${follows.followerId}
          on conflict (recipient_id) do update set seq = ${notificationHeads.seq} + 1
          returning recipient_id, seq
        )
        insert into ${notifications} (recipient_id, seq, actor_id, post_id)
        select recipient_id, seq, ${params.authorId}, ${params.postId}::bigint from heads
        returning id, recipient_id, seq`,
  );
  return rows.map((row) => ({
    userId: String(row.recipient_id),
    notificationId: String(row.id),
    eventId: String(row.seq),
  }));
}

const notificationColumns = {
  id: notifications.id,
  seq: notifications.seq,
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
  seq: number;
  recipientId: string;
  createdAt: Date;
  readAt: Date | null;
  actor: UserSummaryRow;
  postId: number;
  caption: string;
  thumbKey: string;
};

function toNotification(row: NotificationRow): UploadNotification {
  // The same key order as `notificationFor` builds live ones: frames compare byte for byte.
  return {
    id: String(row.id),
    eventId: String(row.seq),
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
        cursor === undefined ? undefined : lt(notifications.seq, cursor),
      ),
    )
    // Newest first in commit order, which is the order the live stream delivers in.
    .orderBy(desc(notifications.seq))
    .limit(params.limit + 1);
  return toPage(rows, params.limit, toNotification, (row) => row.seq);
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
 * This recipient's notifications after `lastEventId` (a `seq`; 0 for all), oldest first,
 * read a page at a time.
 * Complete by construction: a recipient's notifications commit in `seq` order, so once
 * seq N is visible every smaller one is too, and any that commit later are larger.
 */
export async function* notificationsAfter(
  db: Database,
  params: { userId: string; lastEventId: number },
): AsyncGenerator<UploadNotification> {
  let cursor = params.lastEventId;
  for (;;) {
    const rows = await selectNotifications(db)
      .where(and(eq(notifications.recipientId, params.userId), gt(notifications.seq, cursor)))
      .orderBy(asc(notifications.seq))
      .limit(REPLAY_PAGE);
    for (const row of rows) yield toNotification(row);
    const last = rows.at(-1);
    if (!last || rows.length < REPLAY_PAGE) return;
    cursor = last.seq;
  }
}

/** The recipient's newest `seq` (0 before their first notification). */
export async function notificationHead(db: Database, params: { userId: string }): Promise<number> {
  return (await notificationHeadsOf(db, { userIds: [params.userId] })).get(params.userId) ?? 0;
}

/**
 * The newest `seq` of each of these recipients that has one, in one query whatever
 * their number (the ids travel as one JSON parameter).
 */
export async function notificationHeadsOf(
  db: Database,
  params: { userIds: readonly string[] },
): Promise<Map<string, number>> {
  const heads = new Map<string, number>();
  if (params.userIds.length === 0) return heads;
  const rows = await queryRows(
    db,
    sql`select recipient_id, seq from ${notificationHeads}
        where recipient_id in (select jsonb_array_elements_text(${JSON.stringify(params.userIds)}::jsonb))`,
  );
  for (const row of rows) heads.set(String(row.recipient_id), Number(row.seq));
  return heads;
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
  const { id: _id, eventId: _eventId, ...notification } = toNotification(first);
  return {
    postId: params.postId,
    notification: { ...notification, read: false },
    recipients: rows.map((row) => ({
      userId: row.recipientId,
      notificationId: String(row.id),
      eventId: String(row.seq),
    })),
  };
}
