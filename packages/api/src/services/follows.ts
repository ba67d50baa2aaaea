import { UserMessages, type UserSummary } from '@photogram/contracts';
import { type Database, follows, users } from '@photogram/db';
import { and, desc, eq, lt } from 'drizzle-orm';
import { NotFoundError, ValidationError } from '../errors';
import {
  type ActivityDeps,
  boundHeadLocks,
  publishActivity,
  recordActivity,
  toldBefore,
  withdrawActivity,
} from './activity';
import { parseIdCursor, toPage } from './pagination';
import { toUserSummary, userSummaryColumns } from './user-summary';

async function assertUserExists(db: Database, userId: string) {
  const [row] = await db.select({ id: users.id }).from(users).where(eq(users.id, userId)).limit(1);
  if (!row) throw new NotFoundError(UserMessages.userNotFound);
}

/**
 * Idempotent: following someone already followed changes nothing. A new follow tells
 * the person followed (once: following again after an unfollow does not tell again).
 */
export async function follow(
  deps: ActivityDeps,
  params: { followerId: string; followeeId: string },
) {
  if (params.followerId === params.followeeId)
    throw new ValidationError(UserMessages.cannotFollowSelf);
  await assertUserExists(deps.db, params.followeeId);
  const activity = {
    type: 'follow' as const,
    recipientId: params.followeeId,
    actorId: params.followerId,
  };
  const recipients = await deps.db.transaction(async (tx) => {
    await boundHeadLocks(tx);
    const added = await tx
      .insert(follows)
      .values(params)
      .onConflictDoNothing()
      .returning({ id: follows.id });
    if (added.length === 0 || (await toldBefore(tx, activity))) return [];
    return recordActivity(tx, [activity]);
  });
  await publishActivity(deps, recipients);
  return { following: true };
}

/**
 * Whether the followee's uploads notify the follower (the bell on their profile). Only
 * for someone followed: the setting lives on the follow, and a new follow starts on.
 */
export async function setNotify(
  db: Database,
  params: { followerId: string; followeeId: string; notify: boolean },
): Promise<{ notify: boolean }> {
  if (params.followerId === params.followeeId)
    throw new ValidationError(UserMessages.cannotFollowSelf);
  await assertUserExists(db, params.followeeId);
  const updated = await db
    .update(follows)
    .set({ notify: params.notify })
    .where(
      and(eq(follows.followerId, params.followerId), eq(follows.followeeId, params.followeeId)),
    )
    .returning({ notify: follows.notify });
  if (updated.length === 0) throw new ValidationError(UserMessages.notifyNeedsFollow);
  return { notify: params.notify };
}

/** Idempotent: unfollowing someone not followed changes nothing. Withdraws an unread follow notification. */
export async function unfollow(db: Database, params: { followerId: string; followeeId: string }) {
  if (params.followerId === params.followeeId)
    throw new ValidationError(UserMessages.cannotFollowSelf);
  await assertUserExists(db, params.followeeId);
  await db.transaction(async (tx) => {
    await boundHeadLocks(tx);
    const removed = await tx
      .delete(follows)
      .where(
        and(eq(follows.followerId, params.followerId), eq(follows.followeeId, params.followeeId)),
      )
      .returning({ id: follows.id });
    if (removed.length === 0) return;
    await withdrawActivity(tx, {
      type: 'follow',
      recipientId: params.followeeId,
      actorId: params.followerId,
    });
  });
  return { following: false };
}

/** People who follow `userId` (direction 'followers') or whom `userId` follows, newest first. */
export async function listFollows(
  db: Database,
  params: {
    userId: string;
    direction: 'followers' | 'following';
    cursor?: string | null;
    limit: number;
  },
): Promise<{ items: UserSummary[]; nextCursor: string | null }> {
  await assertUserExists(db, params.userId);
  const cursor = parseIdCursor(params.cursor);
  const [mine, theirs] =
    params.direction === 'followers'
      ? [follows.followeeId, follows.followerId]
      : [follows.followerId, follows.followeeId];
  const rows = await db
    .select({ ...userSummaryColumns, followId: follows.id })
    .from(follows)
    .innerJoin(users, eq(users.id, theirs))
    .where(and(eq(mine, params.userId), cursor === undefined ? undefined : lt(follows.id, cursor)))
    .orderBy(desc(follows.id))
    .limit(params.limit + 1);
  return toPage(rows, params.limit, toUserSummary, (row) => row.followId);
}
