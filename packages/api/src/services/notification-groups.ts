import {
  GROUP_SAMPLE_ACTORS,
  type NotificationGroup,
  type NotificationType,
} from '@photogram/contracts';
import { type Database, notifications, queryRows, users } from '@photogram/db';
import { inArray, sql } from 'drizzle-orm';
import { selectNotifications, toNotification } from './notifications';
import { parseIdCursor, toPage } from './pagination';
import { toUserSummary } from './user-summary';

interface GroupRow {
  key: string;
  /** `notifications.group_key`; null for a notification shown alone. */
  groupKey: string | null;
  type: NotificationType;
  count: number;
  actorCount: number;
  latestId: number;
  latestAt: Date;
  read: boolean;
}

/** Past any notification id: where a walk without a cursor starts. */
const NEWEST = '9223372036854775807';

/**
 * The inbox as rows: the notifications of one group (`notifications.group_key`, set when
 * each was recorded, see `recordActivity`) together, any other alone; newest row first,
 * by its newest notification. The cursor is the newest notification id of the last row
 * shown, and a row is on one page only: a group with a notification at or past the
 * cursor was on an earlier one.
 *
 * The page's rows come from a walk (Mastodon's way of paging groups): each step is the
 * newest notification below the last one whose group the walk has not met yet, so it
 * reads no further into the inbox than the page reaches, and each row's counts are read
 * through the group index in the same statement. Two more queries, for the page only:
 * each row's newest notification (the post and comment shown) and up to three people.
 */
export async function listGroups(
  db: Database,
  params: { userId: string; cursor?: string | null; limit: number },
): Promise<{ items: NotificationGroup[]; nextCursor: string | null }> {
  const cursor = parseIdCursor(params.cursor);
  const start = cursor === undefined ? NEWEST : String(cursor);
  // The group's newest notification, one probe of the group index: a scalar subquery, as
  // an EXISTS here is planned as a hash of every notification past the cursor.
  const shownBefore =
    cursor === undefined
      ? sql`false`
      : sql`n.group_key is not null and (
          select max(m.id) from ${notifications} m
          where m.recipient_id = ${params.userId} and m.group_key = n.group_key
        ) >= ${start}::bigint`;
  const found = await queryRows(
    db,
    sql`with recursive walk(id, group_key, seen, shown, earlier) as (
          select ${start}::bigint, null::text, '{}'::text[], 0, true
          union all
          select step.id, step.group_key,
                 case when step.group_key is null then walk.seen else walk.seen || step.group_key end,
                 walk.shown + case when step.earlier then 0 else 1 end,
                 step.earlier
          from walk cross join lateral (
            select n.id, n.group_key, ${shownBefore} as earlier
            from ${notifications} n
            where n.recipient_id = ${params.userId} and n.id < walk.id
              and (n.group_key is null or n.group_key <> all(walk.seen))
            order by n.id desc
            limit 1
          ) step
          where walk.shown < ${params.limit + 1}::int
        )
        select walk.id, walk.group_key, g.*
        from walk cross join lateral (
          select min(n.type) as type, count(*)::int as count,
                 count(distinct n.actor_id)::int as actor_count,
                 max(n.created_at) as latest_at, bool_and(n.read_at is not null) as read
          from ${notifications} n
          where n.recipient_id = ${params.userId}
            and ((walk.group_key is null and n.id = walk.id) or n.group_key = walk.group_key)
        ) g
        where not walk.earlier
        order by walk.id desc`,
  );
  const groups: GroupRow[] = found.map((row) => {
    const groupKey = row.group_key === null ? null : String(row.group_key);
    return {
      key: groupKey ?? `n:${String(row.id)}`,
      groupKey,
      type: String(row.type) as NotificationType,
      count: Number(row.count),
      actorCount: Number(row.actor_count),
      latestId: Number(row.id),
      latestAt: new Date(String(row.latest_at)),
      read: row.read === true,
    };
  });
  const shown = groups.slice(0, params.limit);
  const [latest, actors] = await Promise.all([
    latestOf(db, shown),
    sampleActorsOf(db, params.userId, shown),
  ]);
  return toPage(
    groups,
    params.limit,
    (group) => {
      const newest = latest.get(group.latestId);
      return {
        key: group.key,
        type: group.type,
        count: group.count,
        actorCount: group.actorCount,
        sampleActors: actors.get(group.key) ?? [],
        latestAt: newest?.createdAt ?? group.latestAt,
        read: group.read,
        post: newest && 'post' in newest ? newest.post : null,
        comment: newest && 'comment' in newest ? newest.comment : null,
      };
    },
    (group) => group.latestId,
  );
}

/** Each group's newest notification, as the inbox would show it alone. */
async function latestOf(db: Database, groups: readonly GroupRow[]) {
  const byId = new Map<number, ReturnType<typeof toNotification>>();
  if (groups.length === 0) return byId;
  const rows = await selectNotifications(db).where(
    inArray(
      notifications.id,
      groups.map((group) => group.latestId),
    ),
  );
  for (const row of rows) byId.set(row.id, toNotification(row));
  return byId;
}

/**
 * Up to `GROUP_SAMPLE_ACTORS` different people of each group, the newest first: for each
 * row its members through the group index (or the one notification by its id).
 */
async function sampleActorsOf(db: Database, userId: string, groups: readonly GroupRow[]) {
  const byKey = new Map<string, ReturnType<typeof toUserSummary>[]>();
  if (groups.length === 0) return byKey;
  const rowsOfPage = JSON.stringify(
    groups.map((group) => ({ key: group.key, group_key: group.groupKey, id: group.latestId })),
  );
  const rows = await queryRows(
    db,
    sql`select page.key, ${users.id} as id, ${users.username} as username,
               ${users.displayName} as display_name, ${users.avatarThumbKey} as avatar_thumb_key
        from jsonb_to_recordset(${rowsOfPage}::jsonb) as page(key text, group_key text, id bigint)
        cross join lateral (
          select n.actor_id, max(n.id) as newest
          from ${notifications} n
          where n.recipient_id = ${userId}
            and ((page.group_key is null and n.id = page.id) or n.group_key = page.group_key)
          group by n.actor_id
          order by newest desc
          limit ${GROUP_SAMPLE_ACTORS}::int
        ) as actor
        join ${users} on ${users.id} = actor.actor_id
        order by page.key, actor.newest desc`,
  );
  for (const row of rows) {
    const key = String(row.key);
    const list = byKey.get(key) ?? [];
    list.push(
      toUserSummary({
        id: String(row.id),
        username: String(row.username),
        displayName: String(row.display_name),
        avatarThumbKey: row.avatar_thumb_key === null ? null : String(row.avatar_thumb_key),
      }),
    );
    byKey.set(key, list);
  }
  return byKey;
}
