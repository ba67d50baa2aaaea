import {
  GROUP_SAMPLE_ACTORS,
  type NotificationGroup,
  type NotificationType,
} from '@photogram/contracts';
import { type Database, notificationGroups, notifications, queryRows, users } from '@photogram/db';
import { inArray, sql } from 'drizzle-orm';
import { aloneKey, selectNotifications, toNotification } from './notifications';
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

/**
 * The inbox as rows: the notifications of one group (`notifications.group_key`, set when
 * each was recorded, see `recordActivity`) together, any other alone; newest row first,
 * by its newest notification. The cursor is the newest notification id of the last row
 * shown.
 *
 * A page is two short index reads merged: the newest notifications shown alone, and the
 * newest groups of `notification_groups` (kept by triggers on `notifications`: each
 * group's newest id and size), so it never reads a group's members to place it, however
 * many it has. Per row, in the same statement: its newest notification, whether anything
 * in it is unread (one probe of the unread-group index), and how many people it holds.
 * Then, for the page only, each row's newest notification as the inbox shows it and up to
 * three people.
 */
export async function listGroups(
  db: Database,
  params: { userId: string; cursor?: string | null; limit: number },
): Promise<{ items: NotificationGroup[]; nextCursor: string | null }> {
  const cursor = parseIdCursor(params.cursor);
  const take = params.limit + 1;
  const aloneBefore = cursor === undefined ? sql`` : sql`and n.id < ${cursor}`;
  const groupsBefore = cursor === undefined ? sql`` : sql`and g.latest_id < ${cursor}`;
  const found = await queryRows(
    db,
    sql`with page as (
          (select null::text as group_key, n.id as latest_id, 1 as count
           from ${notifications} n
           where n.recipient_id = ${params.userId} and n.group_key is null ${aloneBefore}
           order by n.id desc limit ${take})
          union all
          (select g.group_key, g.latest_id, g.count
           from ${notificationGroups} g
           where g.recipient_id = ${params.userId} ${groupsBefore}
           order by g.latest_id desc limit ${take})
          order by latest_id desc
          limit ${take}
        )
        select page.group_key, page.latest_id, page.count, latest.type, latest.created_at,
               case
                 when page.group_key is null then latest.read_at is not null
                 else not exists (
                   select 1 from ${notifications} m
                   where m.recipient_id = ${params.userId} and m.group_key = page.group_key
                     and m.read_at is null)
               end as read,
               -- One like of a post, or one follow, per person (a repeat tells nobody):
               -- only comment groups can hold someone twice.
               case
                 when page.group_key like 'comment:%' then (
                   select count(distinct m.actor_id)::int from ${notifications} m
                   where m.recipient_id = ${params.userId} and m.group_key = page.group_key)
                 else page.count
               end as actor_count
        from page join ${notifications} latest on latest.id = page.latest_id
        order by page.latest_id desc`,
  );
  const groups: GroupRow[] = found.map((row) => {
    const groupKey = row.group_key === null ? null : String(row.group_key);
    return {
      key: groupKey ?? aloneKey(Number(row.latest_id)),
      groupKey,
      type: String(row.type) as NotificationType,
      count: Number(row.count),
      actorCount: Number(row.actor_count),
      latestId: Number(row.latest_id),
      latestAt: new Date(String(row.created_at)),
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
        sampleActors: actors.get(group.key) ?? (newest ? [newest.actor] : []),
        latestAt: newest?.createdAt ?? group.latestAt,
        read: group.read,
        post: newest && 'post' in newest ? newest.post : null,
        comment: newest && 'comment' in newest ? newest.comment : null,
      };
    },
    (group) => group.latestId,
  );
}

/** Each row's newest notification, as the inbox would show it alone. */
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
 * Up to `GROUP_SAMPLE_ACTORS` different people of each group, the newest first: a walk
 * down the group's members through the group index, one step per person (a row shown
 * alone has its one person, from its notification).
 */
async function sampleActorsOf(db: Database, userId: string, groups: readonly GroupRow[]) {
  const byKey = new Map<string, ReturnType<typeof toUserSummary>[]>();
  const keys = groups.flatMap((group) => (group.groupKey === null ? [] : [group.groupKey]));
  if (keys.length === 0) return byKey;
  const rows = await queryRows(
    db,
    sql`select page.key, ${users.id} as id, ${users.username} as username,
               ${users.displayName} as display_name, ${users.avatarThumbKey} as avatar_thumb_key
        from jsonb_array_elements_text(${JSON.stringify(keys)}::jsonb) as page(key)
        cross join lateral (
          with recursive people(id, actor_id, seen, place) as (
            select 9223372036854775807::bigint, null::text, '{}'::text[], 0
            union all
            select step.id, step.actor_id, people.seen || step.actor_id, people.place + 1
            from people cross join lateral (
              select n.id, n.actor_id from ${notifications} n
              where n.recipient_id = ${userId} and n.group_key = page.key
                and n.id < people.id
                and n.actor_id <> all(people.seen)
              order by n.id desc
              limit 1
            ) step
            where people.place < ${GROUP_SAMPLE_ACTORS}::int
          )
          select actor_id, place from people where place > 0
        ) as actor
        join ${users} on ${users.id} = actor.actor_id
        order by page.key, actor.place`,
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
