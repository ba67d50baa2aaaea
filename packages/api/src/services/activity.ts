import {
  type ActivityNotification,
  MENTIONS_MAX,
  mentionedUsernames,
  NOTIFICATION_GROUP_SPAN_HOURS,
} from '@photogram/contracts';
import {
  type Database,
  follows,
  notificationGroups,
  notificationHeads,
  notifications,
  queryRows,
  type Transaction,
  users,
} from '@photogram/db';
import { and, asc, eq, gt, inArray, ne, type SQL, sql } from 'drizzle-orm';
import type { NotificationBus } from '../realtime/bus';
import { notificationHead, selectNotifications, toNotification } from './notifications';

const REPLAY_PAGE = 200;

/** What a service that records activity needs besides the database. */
export interface ActivityDeps {
  db: Database;
  bus: NotificationBus;
  reportError(error: unknown, message: string): void;
}

/** One notification of activity to record inside the action's transaction. */
export interface Activity {
  type: ActivityNotification['type'];
  recipientId: string;
  actorId: string;
  postId?: number | undefined;
  commentId?: number | undefined;
}

/**
 * Bounds a transaction that locks notification heads (an upload's fan-out, a like, a
 * comment, a follow): everyone notifying the same people waits for it. A statement cannot
 * run longer than 20 s, and a process that stops talking mid-transaction (frozen,
 * partitioned) loses it after 10 s instead of holding those locks for as long as it is
 * gone. One round trip; call it first, before the transaction's first lock.
 */
export async function boundHeadLocks(tx: Transaction) {
  await tx.execute(
    sql`select set_config('statement_timeout', '20s', true),
               set_config('idle_in_transaction_session_timeout', '10s', true)`,
  );
}

/** Likes and comments group per post, follows all together; mentions stand alone. */
function groupPrefix(activity: Activity): string | null {
  if (activity.type === 'follow') return 'follow';
  if (activity.type === 'like' || activity.type === 'comment')
    return `${activity.type}:${activity.postId}`;
  return null;
}

/** Rows of the same kind as `activity` in the recipient's inbox (the index's prefix). */
function sameKind(activity: Activity, alias: string): SQL {
  const table = sql.raw(alias);
  return sql`${table}.recipient_id = ${activity.recipientId} and ${table}.type = ${activity.type}
    and ${activity.postId === undefined ? sql`${table}.post_id is null` : sql`${table}.post_id = ${activity.postId}`}`;
}

/**
 * The inbox row a new notification (row `newId`) joins, Mastodon's rule: the latest group
 * of its kind if that group started less than `NOTIFICATION_GROUP_SPAN_HOURS` ago, else a
 * new group named after this, its first notification. When the group started comes from
 * `notification_groups` (one row by its key), not from its members, so a like on a post
 * liked 100,000 times costs what the first did. Read after the recipient's head is
 * locked (see `recordActivity`), so actions notifying one person at once join one group.
 */
function groupKeyFor(activity: Activity, newId: SQL): SQL {
  const prefix = groupPrefix(activity);
  if (prefix === null) return sql`null`;
  const span = sql.raw(`interval '${NOTIFICATION_GROUP_SPAN_HOURS} hours'`);
  return sql`(
    select case when g.started_at > now() - ${span} then latest.group_key
                else ${prefix} || ':' || ${newId} end
    from (select 1) as one
    left join lateral (
      select n.group_key from ${notifications} as n
      where ${sameKind(activity, 'n')} and n.group_key is not null
      order by n.id desc limit 1
    ) as latest on true
    left join ${notificationGroups} as g
      on g.recipient_id = ${activity.recipientId} and g.group_key = latest.group_key
  )`;
}

/**
 * Records activity notifications inside the action's transaction, two statements each:
 * the recipient's activity head is bumped (locked to commit, so their activity commits
 * in `seq` order, as uploads do), then the row takes the new `seq` and its group. The
 * group is looked up by a statement of its own, begun once the lock is held: in one
 * statement with the bump, it read from before the wait, and ten people liking one post
 * at once on PostgreSQL started up to ten groups. Nobody is told of their own action.
 * Returns the recipients to publish to after commit.
 */
export async function recordActivity(tx: Transaction, activities: readonly Activity[]) {
  const recipients: string[] = [];
  // In recipient order: two actions notifying the same people lock their heads alike.
  const ordered = activities
    .filter((activity) => activity.recipientId !== activity.actorId)
    .sort((a, b) => (a.recipientId < b.recipientId ? -1 : a.recipientId > b.recipientId ? 1 : 0));
  for (const activity of ordered) {
    const [head] = await queryRows(
      tx,
      sql`insert into ${notificationHeads} (recipient_id, seq, activity_seq)
          values (${activity.recipientId}, 0, 1)
          on conflict (recipient_id) do update
            set activity_seq = ${notificationHeads.activitySeq} + 1
          returning activity_seq`,
    );
    await queryRows(
      tx,
      sql`with new_row as (
            select nextval(pg_get_serial_sequence('notifications', 'id')) as id
          )
          insert into ${notifications}
            (id, recipient_id, type, seq, actor_id, post_id, comment_id, group_key)
          overriding system value
          select new_row.id, ${activity.recipientId}, ${activity.type},
                 ${Number(head?.activity_seq)}::bigint,
                 ${activity.actorId}, ${activity.postId ?? null}::bigint,
                 ${activity.commentId ?? null}::bigint, ${groupKeyFor(activity, sql`new_row.id`)}
          from new_row`,
    );
    if (!recipients.includes(activity.recipientId)) recipients.push(activity.recipientId);
  }
  return recipients;
}

/**
 * Locks the heads of the upload's followers and of the people its caption mentions, all
 * in recipient order, in one statement (creating the missing ones). Without it, the
 * fan-out's locks (followers, in order) and then the mentions' (in order) are two runs:
 * two uploads whose followers and mentions cross would each hold what the other waits
 * for, a deadlock. After it, the fan-out and `recordActivity` take locks already held.
 */
export async function lockUploadHeads(
  tx: Transaction,
  params: { authorId: string; mentioned: readonly string[] },
) {
  await tx.execute(
    sql`insert into ${notificationHeads} (recipient_id, seq, activity_seq)
        select recipient_id, 0, 0 from (
          select ${follows.followerId} as recipient_id from ${follows}
          where ${follows.followeeId} = ${params.authorId} and ${follows.notify}
          union
          select jsonb_array_elements_text(${JSON.stringify(params.mentioned)}::jsonb)
        ) as recipients
        order by recipient_id
        on conflict (recipient_id) do update set seq = ${notificationHeads.seq}`,
  );
}

/**
 * Whether this person was told of this action before (a like, unliked once it was read,
 * and liked again): a like or follow notifies once, however often it is toggled.
 */
export async function toldBefore(tx: Transaction, activity: Activity): Promise<boolean> {
  const rows = await queryRows(
    tx,
    sql`select 1 from ${notifications} as n
        where ${sameKind(activity, 'n')} and n.actor_id = ${activity.actorId} limit 1`,
  );
  return rows.length > 0;
}

/**
 * Takes back the unread notification of an action undone (an unlike, an unfollow); a
 * read one stays, as what happened. Returns how many went.
 */
export async function withdrawActivity(tx: Transaction, activity: Activity): Promise<number> {
  const rows = await queryRows(
    tx,
    sql`delete from ${notifications} as n
        where ${sameKind(activity, 'n')} and n.actor_id = ${activity.actorId} and n.read_at is null
        returning n.id`,
  );
  return rows.length;
}

/**
 * Mentions in a text (a caption, a comment) as activities: the first `MENTIONS_MAX`
 * people named who exist (unknown names do not use up the ten), never the writer, and
 * not `skip` (the post's author commented on, who hears of the comment itself).
 */
export async function mentionActivities(
  tx: Transaction,
  params: {
    text: string;
    actorId: string;
    postId: number;
    commentId?: number;
    skip?: string | undefined;
  },
): Promise<Activity[]> {
  const names = mentionedUsernames(params.text);
  if (names.length === 0) return [];
  const found = await tx
    .select({ id: users.id, username: users.username })
    .from(users)
    .where(inArray(users.username, names));
  const ids = new Map(found.map((user) => [user.username, user.id]));
  return names
    .flatMap((name) => {
      const id = ids.get(name);
      return id === undefined ? [] : [id];
    })
    .slice(0, MENTIONS_MAX)
    .filter((id) => id !== params.actorId && id !== params.skip)
    .map((recipientId) => ({
      type: 'mention' as const,
      recipientId,
      actorId: params.actorId,
      postId: params.postId,
      commentId: params.commentId,
    }));
}

/** After commit: tells the recipients' open activity streams; a failure is only logged. */
export async function publishActivity(deps: ActivityDeps, recipientIds: readonly string[]) {
  if (recipientIds.length === 0) return;
  // The rows are committed; a stream that misses the nudge reads them on its next check.
  await deps.bus.publishActivity(recipientIds).catch((error: unknown) => {
    deps.reportError(error, 'publishing activity failed');
  });
}

/**
 * This recipient's activity notifications after `lastEventId`, oldest first, a page at
 * a time. Complete for the same reason as uploads' (`notificationsAfter`).
 */
export async function* activityAfter(
  db: Database,
  params: { userId: string; lastEventId: number },
): AsyncGenerator<ActivityNotification> {
  let cursor = params.lastEventId;
  for (;;) {
    const rows = await selectNotifications(db)
      .where(
        and(
          eq(notifications.recipientId, params.userId),
          ne(notifications.type, 'upload'),
          gt(notifications.seq, cursor),
        ),
      )
      .orderBy(asc(notifications.seq))
      .limit(REPLAY_PAGE);
    for (const row of rows) {
      const notification = toNotification(row);
      if (notification.type === 'upload') throw new Error(`notification ${row.id} is an upload`);
      yield notification;
    }
    const last = rows.at(-1);
    if (!last || rows.length < REPLAY_PAGE) return;
    cursor = last.seq;
  }
}

export function activityHead(db: Database, params: { userId: string }): Promise<number> {
  return notificationHead(db, { userId: params.userId, stream: 'activity' });
}
