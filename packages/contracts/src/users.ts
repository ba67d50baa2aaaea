import { z } from 'zod';
import { DisplayName } from './auth';
import { textId } from './ids';
import { input, optionalInput, wholeNumber } from './input';
import { PageFields } from './pagination';
import { text } from './text';

/** A person's id (see `textId`). */
export const Id = textId({ required: 'An id is required.', invalid: 'That id is not valid.' });

export const BIO_MAX = 300;

export const UserSummary = z.object({
  id: Id,
  username: z.string(),
  displayName: z.string(),
  avatarUrl: z.string().nullable(),
});
export type UserSummary = z.infer<typeof UserSummary>;

/** The signed-in person, as `auth.me` returns it. */
export const Me = UserSummary.extend({
  /** The 320 px profile photo (`avatarUrl` is the 96 px one); null: none. */
  avatarLargeUrl: z.string().nullable(),
  bio: z.string(),
  createdAt: z.date(),
});
export type Me = z.infer<typeof Me>;

export const Profile = UserSummary.extend({
  avatarLargeUrl: z.string().nullable(),
  bio: z.string(),
  createdAt: z.date(),
  counts: z.object({ posts: z.number(), followers: z.number(), following: z.number() }),
  isFollowing: z.boolean(),
  /** Whether this person's uploads reach the viewer's inbox and toasts (the bell; false unless following). */
  notify: z.boolean(),
  isSelf: z.boolean(),
});
export type Profile = z.infer<typeof Profile>;

export const UserMessages = {
  userNotFound: 'No one goes by that name here.',
  cannotFollowSelf: 'You cannot follow yourself.',
  notifyNeedsFollow:
    'Follow this person first; then you can choose whether their photos notify you.',
  bioTooLong: `A bio can be at most ${BIO_MAX} characters.`,
} as const;

/** A bio is multi-line: line breaks and tabs are kept, other control characters refused. */
export const Bio = text({
  subject: 'Bios',
  multiline: true,
  params: { error: 'A bio must be text.' },
}).max(BIO_MAX, UserMessages.bioTooLong);

export const ByUsernameInput = input({
  username: text({ subject: 'Usernames', params: { error: 'A username is required.' } })
    .toLowerCase()
    .min(1, 'A username is required.')
    .max(64, 'No one goes by a name that long here.'),
});

export const SearchUsersInput = input({
  query: text({ subject: 'Searches', params: { error: 'Type something to search for.' } }).max(
    50,
    'Search for at most 50 characters.',
  ),
  limit: wholeNumber({
    field: 'The number of people (limit)',
    min: 1,
    max: 50,
    tooSmall: 'Ask for at least 1 person.',
    tooBig: 'Ask for at most 50 people.',
  }).default(10),
});

export const UpdateProfileInput = optionalInput({
  displayName: DisplayName.min(1, 'Display name cannot be empty.').optional(),
  bio: Bio.optional(),
});
export type UpdateProfileInput = z.input<typeof UpdateProfileInput>;

export const UserIdInput = input({ userId: Id });
export const SetNotifyInput = input({
  userId: Id,
  notify: z.boolean({ error: 'Say whether to notify (true or false).' }),
});
export const FollowListInput = input({ ...PageFields, userId: Id });
