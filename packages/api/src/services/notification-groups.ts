import {
  GROUP_SAMPLE_ACTORS,
  type NotificationGroup,
  type NotificationType,
} from '@photogram/contracts';
import { type Database, notifications, queryRows, users } from '@photogram/db';
import { inArray, sql } from 'drizzle-orm';
import { groupKeyOf, selectNotifications, toNotification } from './notifications';
import { parseIdCursor, toPage } from './pagination';
import { toUserSummary } from './user-summary';

interface GroupRow {
  key: string;
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
 * by its newest notification. Three queries a page, whatever its rows: the groups, their
 * newest notifications (for the post and comment shown), and up to three people each.
 *
 * The grouping reads all of the person's notifications for each page: fine for an inbox
 * of thousands; a heavier one would want the groups kept in a table of their own.
 */
export async function listGroups(
  db: Database,
  params: { userId: string; cursor?: string | null; limit: number },
): Promise<{ items: NotificationGroup[]; nextCursor: string | null }> {
  const cursor = parseIdCursor(params.cursor);
  const found = await queryRows(
    db,
    sql`select ${groupKeyOf} as key, min(${notifications.type}) as type,
               count(*)::int as count, count(distinct ${notifications.actorId})::int as actor_count,
               max(${notifications.id}) as latest_id, max(${notifications.createdAt}) as latest_at,
               bool_and(${notifications.readAt} is not null) as read
        from ${notifications}
        where ${notifications.recipientId} = ${params.userId}
        group by 1
        having ${cursor === undefined ? sql`true` : sql`max(${notifications.id}) < ${cursor}`}
        order by latest_id desc
        limit ${params.limit + 1}`,
  );
  const groups: GroupRow[] = found.map((row) => ({
    key: String(row.key),
    type: String(row.type) as NotificationType,
    count: Number(row.count),
    actorCount: Number(row.actor_count),
    latestId: Number(row.latest_id),
    latestAt: new Date(String(row.latest_at)),
    read: row.read === true,
  }));
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

/** Up to `GROUP_SAMPLE_ACTORS` different people of each group, the newest first. */
async function sampleActorsOf(db: Database, userId: string, groups: readonly GroupRow[]) {
  const byKey = new Map<string, ReturnType<typeof toUserSummary>[]>();
  if (groups.length === 0) return byKey;
  const keys = JSON.stringify(groups.map((group) => group.key));
  const rows = await queryRows(
    db,
    sql`select ranked.key, ${users.id} as id, ${users.username} as username,
               ${users.displayName} as display_name, ${users.avatarThumbKey} as avatar_thumb_key
        from (
          select key, actor_id, row_number() over (partition by key order by newest desc) as place
          from (
            select ${groupKeyOf} as key, ${notifications.actorId} as actor_id,
                   max(${notifications.id}) as newest
            from ${notifications}
            where ${notifications.recipientId} = ${userId}
              and ${groupKeyOf} in (select jsonb_array_elements_text(${keys}::jsonb))
            group by 1, 2
          ) as per_actor
        ) as ranked
        join ${users} on ${users.id} = ranked.actor_id
        where ranked.place <= ${GROUP_SAMPLE_ACTORS}
        order by ranked.key, ranked.place`,
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
