import {
  NOTIFICATION_EXCERPT_MAX,
  type Notification,
  type NotificationComment,
  type NotificationPost,
  type UploadNotification,
} from '@photogram/contracts';
import {
  comments,
  type Database,
  follows,
  notificationHeads,
  notifications,
  posts,
  queryRows,
  type Transaction,
  users,
} from '@photogram/db';
import { and, asc, desc, eq, gt, inArray, isNull, lt, sql } from 'drizzle-orm';
import { mediaUrl } from '../media/urls';
import type { StreamKind, UploadEvent } from '../realtime/bus';
import { parseIdCursor, toPage } from './pagination';
import { toUserSummary, type UserSummaryRow, userSummaryColumns } from './user-summary';

const REPLAY_PAGE = 200;

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
  type: notifications.type,
  recipientId: notifications.recipientId,
  createdAt: notifications.createdAt,
  readAt: notifications.readAt,
  actor: userSummaryColumns,
  postId: posts.id,
  caption: posts.caption,
  thumbKey: posts.thumbKey,
  commentId: comments.id,
  commentBody: sql<string | null>`left(${comments.body}, ${NOTIFICATION_EXCERPT_MAX})`,
};
export type NotificationRow = {
  id: number;
  seq: number;
  type: string;
  recipientId: string;
  createdAt: Date;
  readAt: Date | null;
  actor: UserSummaryRow;
  postId: number | null;
  caption: string | null;
  thumbKey: string | null;
  commentId: number | null;
  commentBody: string | null;
};

function postOf(row: NotificationRow): NotificationPost {
  if (row.postId === null || row.caption === null || row.thumbKey === null) {
    throw new Error(`notification ${row.id} (${row.type}) has no post`);
  }
  return { id: String(row.postId), caption: row.caption, thumbUrl: mediaUrl(row.thumbKey) };
}

function commentOf(row: NotificationRow): NotificationComment | null {
  return row.commentId === null ? null : { id: String(row.commentId), body: row.commentBody ?? '' };
}

export function toNotification(row: NotificationRow): Notification {
  // The same key order as `notificationFor` builds live ones: frames compare byte for byte.
  const base = {
    id: String(row.id),
    eventId: String(row.seq),
    createdAt: row.createdAt,
    read: row.readAt !== null,
    actor: toUserSummary(row.actor),
  };
  switch (row.type) {
    case 'upload':
      return {
        id: base.id,
        eventId: base.eventId,
        type: 'upload',
        createdAt: base.createdAt,
        read: base.read,
        actor: base.actor,
        post: postOf(row),
      };
    case 'follow':
      return { ...base, type: 'follow' };
    case 'like':
      return { ...base, type: 'like', post: postOf(row) };
    case 'comment': {
      const comment = commentOf(row);
      if (!comment) throw new Error(`comment notification ${row.id} has no comment`);
      return { ...base, type: 'comment', post: postOf(row), comment };
    }
    case 'mention':
      return { ...base, type: 'mention', post: postOf(row), comment: commentOf(row) };
    default:
      throw new Error(`notification ${row.id} has an unknown type ${row.type}`);
  }
}

function toUploadNotification(row: NotificationRow): UploadNotification {
  const notification = toNotification(row);
  if (notification.type !== 'upload') throw new Error(`notification ${row.id} is not an upload`);
  return notification;
}

/** Every kind of notification, with what it points at (a follow has no post). */
export function selectNotifications(db: Database) {
  return db
    .select(notificationColumns)
    .from(notifications)
    .innerJoin(users, eq(users.id, notifications.actorId))
    .leftJoin(posts, eq(posts.id, notifications.postId))
    .leftJoin(comments, eq(comments.id, notifications.commentId));
}

const isUpload = eq(notifications.type, 'upload');

/** The inbox, newest first: uploads and activity together. */
export async function listNotifications(
  db: Database,
  params: { userId: string; cursor?: string | null; limit: number },
): Promise<{ items: Notification[]; nextCursor: string | null }> {
  const cursor = parseIdCursor(params.cursor);
  const rows = await selectNotifications(db)
    .where(
      and(
        eq(notifications.recipientId, params.userId),
        cursor === undefined ? undefined : lt(notifications.id, cursor),
      ),
    )
    // Newest first. Uploads and activity count their `seq` apart; the row id orders both.
    .orderBy(desc(notifications.id))
    .limit(params.limit + 1);
  return toPage(rows, params.limit, toNotification, (row) => row.id);
}

/**
 * Unread notifications the badge reads at most: past them it says "at least" (Mastodon
 * caps its unread group count the same way), so a person who never opens the inbox does
 * not make every page load count their whole history.
 */
export const UNREAD_COUNT_READ_MAX = 10_000;

/**
 * What the inbox shows unread: its rows (groups, see `listGroups`) with at least one
 * unread notification, so the badge and the inbox agree. Counted over the newest
 * `UNREAD_COUNT_READ_MAX` unread notifications: `capped` when there are more, and then
 * `count` is the rows those make (a lower bound).
 */
export async function unreadCount(db: Database, params: { userId: string }) {
  // One past the bound tells whether there are more; it is not counted.
  const [row] = await queryRows(
    db,
    sql`select count(distinct key) filter (where place <= ${UNREAD_COUNT_READ_MAX}::int)::int as count,
               count(*)::int as unread
        from (
          select ${groupKeyOf} as key, row_number() over (order by ${notifications.id} desc) as place
          from ${notifications}
          where ${notifications.recipientId} = ${params.userId} and ${notifications.readAt} is null
          order by ${notifications.id} desc
          limit ${UNREAD_COUNT_READ_MAX + 1}::int
        ) as newest`,
  );
  return {
    count: Number(row?.count ?? 0),
    capped: Number(row?.unread ?? 0) > UNREAD_COUNT_READ_MAX,
  };
}

/** The inbox row a notification belongs to: its group, or a row of its own. */
export const groupKeyOf = sql<string>`coalesce(${notifications.groupKey}, 'n:' || ${notifications.id})`;

/** The key of a row that is one notification alone, as `groupKeyOf` makes it. */
export function aloneKey(id: number): string {
  return `n:${id}`;
}

/** The notification id of a row shown alone (`n:<id>`, see `groupKeyOf`); else null. */
function aloneKeyId(key: string): number | null {
  const match = /^n:(\d{1,15})$/.exec(key);
  return match?.[1] === undefined ? null : Number(match[1]);
}

/**
 * Marks every notification of one inbox row read; returns how many changed. Read through
 * the group index or the primary key (`groupKeyOf` is an expression no index holds).
 */
export async function markGroupRead(db: Database, params: { userId: string; key: string }) {
  const aloneId = aloneKeyId(params.key);
  const rows = await db
    .update(notifications)
    .set({ readAt: sql`now()` })
    .where(
      and(
        eq(notifications.recipientId, params.userId),
        isNull(notifications.readAt),
        aloneId === null
          ? eq(notifications.groupKey, params.key)
          : and(isNull(notifications.groupKey), eq(notifications.id, aloneId)),
      ),
    )
    .returning({ id: notifications.id });
  return { count: rows.length };
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
 * This recipient's upload notifications after `lastEventId` (a `seq`; 0 for all), oldest first,
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
      .where(
        and(eq(notifications.recipientId, params.userId), isUpload, gt(notifications.seq, cursor)),
      )
      .orderBy(asc(notifications.seq))
      .limit(REPLAY_PAGE);
    for (const row of rows) yield toUploadNotification(row);
    const last = rows.at(-1);
    if (!last || rows.length < REPLAY_PAGE) return;
    cursor = last.seq;
  }
}

/** The recipient's newest `seq` in the stream (0 before their first notification). */
export async function notificationHead(
  db: Database,
  params: { userId: string; stream?: StreamKind },
): Promise<number> {
  const heads = await notificationHeadsOf(db, {
    userIds: [params.userId],
    stream: params.stream ?? 'upload',
  });
  return heads.get(params.userId) ?? 0;
}

/**
 * The newest `seq` of the stream of each of these recipients that has one, in one query
 * whatever their number (the ids travel as one JSON parameter).
 */
export async function notificationHeadsOf(
  db: Database,
  params: { userIds: readonly string[]; stream: StreamKind },
): Promise<Map<string, number>> {
  const heads = new Map<string, number>();
  if (params.userIds.length === 0) return heads;
  const column = params.stream === 'upload' ? notificationHeads.seq : notificationHeads.activitySeq;
  const rows = await queryRows(
    db,
    sql`select recipient_id, ${column} as seq from ${notificationHeads}
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
        isUpload,
        inArray(notifications.recipientId, params.recipientIds),
      ),
    )
    .orderBy(asc(notifications.id));
  const first = rows[0];
  if (!first) return null;
  const { id: _id, eventId: _eventId, ...notification } = toUploadNotification(first);
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
