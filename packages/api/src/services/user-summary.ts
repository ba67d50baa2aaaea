import type { UserSummary } from '@photogram/contracts';
import { users } from '@photogram/db';

/**
 * How every service shows a person (post authors, followers, notification actors,
 * profiles): select these columns, map the row with `toUserSummary`, so a field added to
 * `UserSummary` is added in one place.
 */
export const userSummaryColumns = {
  id: users.id,
  username: users.username,
  displayName: users.displayName,
};

export function toUserSummary(row: {
  id: string;
  username: string;
  displayName: string;
}): UserSummary {
  return { id: row.id, username: row.username, displayName: row.displayName, avatarUrl: null };
}
