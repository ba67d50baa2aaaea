import { type Profile, UserMessages, type UserSummary } from '@photogram/contracts';
import { type Database, follows, posts, users } from '@photogram/db';
import { and, asc, eq, like, or, sql } from 'drizzle-orm';
import { NotFoundError } from '../errors';
import { mediaUrl } from '../media/urls';
import { toUserSummary, userSummaryColumns } from './user-summary';

export async function getProfile(
  db: Database,
  params: ({ username: string } | { userId: string }) & { viewerId: string | null },
): Promise<Profile> {
  const viewerId = params.viewerId ?? '';
  // Spelled out: in a one-table select drizzle leaves columns unqualified, and inside the
  // subqueries a bare "id" would mean posts.id or follows.id.
  const userId = sql.raw('"users"."id"');
  const [row] = await db
    .select({
      ...userSummaryColumns,
      bio: users.bio,
      avatarKey: users.avatarKey,
      createdAt: users.createdAt,
      posts: sql<number>`(select count(*) from ${posts} where ${posts.authorId} = ${userId})::int`,
      followers: sql<number>`(select count(*) from ${follows} where ${follows.followeeId} = ${userId})::int`,
      following: sql<number>`(select count(*) from ${follows} where ${follows.followerId} = ${userId})::int`,
      isFollowing: sql<boolean>`exists (select 1 from ${follows} where ${follows.followeeId} = ${userId} and ${follows.followerId} = ${viewerId})`,
      notify: sql<boolean>`exists (select 1 from ${follows} where ${follows.followeeId} = ${userId} and ${follows.followerId} = ${viewerId} and ${follows.notify})`,
    })
    .from(users)
    .where(
      'userId' in params
        ? eq(users.id, params.userId)
        : eq(sql`lower(${users.username})`, params.username.toLowerCase()),
    )
    .limit(1);
  if (!row) throw new NotFoundError(UserMessages.userNotFound);
  return {
    ...toUserSummary(row),
    avatarLargeUrl: row.avatarKey === null ? null : mediaUrl(row.avatarKey),
    bio: row.bio,
    createdAt: row.createdAt,
    counts: { posts: row.posts, followers: row.followers, following: row.following },
    isFollowing: row.isFollowing,
    notify: row.notify,
    isSelf: row.id === params.viewerId,
  };
}

/** People whose username or display name starts with `query`, ignoring case. */
export async function searchUsers(
  db: Database,
  params: { query: string; limit: number },
): Promise<UserSummary[]> {
  const query = params.query.toLowerCase();
  if (query === '') return [];
  const prefix = `${query.replace(/[\\%_]/g, (char) => `\\${char}`)}%`;
  const rows = await db
    .select(userSummaryColumns)
    .from(users)
    .where(
      or(
        like(sql`lower(${users.username})`, prefix),
        like(sql`lower(${users.displayName})`, prefix),
      ),
    )
    // Exact and username matches first, then alphabetical.
    .orderBy(
      sql`(lower(${users.username}) = ${query}) desc`,
      sql`(lower(${users.username}) like ${prefix}) desc`,
      asc(users.username),
    )
    .limit(params.limit);
  return rows.map(toUserSummary);
}

export async function updateProfile(
  db: Database,
  params: { userId: string; displayName?: string | undefined; bio?: string | undefined },
): Promise<{ username: string }> {
  const changes: Partial<typeof users.$inferInsert> = {};
  if (params.displayName !== undefined) changes.displayName = params.displayName;
  if (params.bio !== undefined) changes.bio = params.bio;
  const query =
    Object.keys(changes).length > 0
      ? db
          .update(users)
          .set(changes)
          .where(eq(users.id, params.userId))
          .returning({ username: users.username })
      : db
          .select({ username: users.username })
          .from(users)
          .where(and(eq(users.id, params.userId)));
  const [row] = await query;
  if (!row) throw new NotFoundError(UserMessages.userNotFound);
  return row;
}
