import { z } from 'zod';

/** Ids cross the wire as strings. */
export const Id = z.string().min(1).max(64);

export const UserSummary = z.object({
  id: Id,
  username: z.string(),
  displayName: z.string(),
  avatarUrl: z.string().nullable(),
});
export type UserSummary = z.infer<typeof UserSummary>;

/** The signed-in person, as `auth.me` returns it. */
export const Me = UserSummary.extend({
  bio: z.string(),
  createdAt: z.date(),
});
export type Me = z.infer<typeof Me>;
