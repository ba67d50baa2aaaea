import type { UserSummary } from '@photogram/contracts';
import { users } from '@photogram/db';
import { mediaUrl } from '../media/urls';

/**
 * How every service shows a person (post authors, followers, commenters, notification
 * actors, profiles): select these columns, map the row with `toUserSummary`, so a field
 * added to `UserSummary` is added in one place.
 */
export const userSummaryColumns = {
  id: users.id,
  username: users.username,
  displayName: users.displayName,
  avatarThumbKey: users.avatarThumbKey,
};

export interface UserSummaryRow {
  id: string;
  username: string;
  displayName: string;
  avatarThumbKey: string | null;
}

export function toUserSummary(row: UserSummaryRow): UserSummary {
  return {
    id: row.id,
    username: row.username,
    displayName: row.displayName,
    // The 96 px variant: people appear small everywhere but on their own profile.
    avatarUrl: row.avatarThumbKey === null ? null : mediaUrl(row.avatarThumbKey),
  };
}
