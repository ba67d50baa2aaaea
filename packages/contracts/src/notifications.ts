import { z } from 'zod';
import { decimalId } from './ids';
import { input, optionalInput } from './input';
import { PageInput } from './pagination';
import { UserSummary } from './users';

export const NotificationId = decimalId('That notification id is not valid.');

export const UploadNotification = z.object({
  id: z.string(),
  /**
   * This notification's place in its recipient's stream (1, 2, 3, … in commit order):
   * the SSE event id, and the `lastEventId` to resume after it.
   */
  eventId: z.string(),
  type: z.literal('upload'),
  createdAt: z.date(),
  read: z.boolean(),
  actor: UserSummary,
  post: z.object({ id: z.string(), caption: z.string(), thumbUrl: z.string() }),
});
export type UploadNotification = z.infer<typeof UploadNotification>;

/** The post a notification is about, as the inbox shows it. */
export const NotificationPost = z.object({
  id: z.string(),
  caption: z.string(),
  thumbUrl: z.string(),
});
export type NotificationPost = z.infer<typeof NotificationPost>;

/** The comment a `comment` or `mention` notification is about (the first 280 characters). */
export const NotificationComment = z.object({ id: z.string(), body: z.string() });
export type NotificationComment = z.infer<typeof NotificationComment>;

/** How much of a comment a notification carries: the inbox shows a line, not the thread. */
export const NOTIFICATION_EXCERPT_MAX = 280;

const activityFields = {
  id: z.string(),
  /**
   * This notification's place in its recipient's activity stream (1, 2, 3, … in commit
   * order, counted apart from uploads'): the SSE event id of `notifications.onActivity`
   * and the `lastEventId` to resume it after. A withdrawn notification leaves a gap.
   */
  eventId: z.string(),
  createdAt: z.date(),
  read: z.boolean(),
  actor: UserSummary,
};

/** Someone followed you. */
export const FollowNotification = z.object({ ...activityFields, type: z.literal('follow') });
export type FollowNotification = z.infer<typeof FollowNotification>;

/** Someone liked your post (withdrawn, while unread, when they unlike it). */
export const LikeNotification = z.object({
  ...activityFields,
  type: z.literal('like'),
  post: NotificationPost,
});
export type LikeNotification = z.infer<typeof LikeNotification>;

/** Someone commented on your post (withdrawn, while unread, when the comment is deleted). */
export const CommentNotification = z.object({
  ...activityFields,
  type: z.literal('comment'),
  post: NotificationPost,
  comment: NotificationComment,
});
export type CommentNotification = z.infer<typeof CommentNotification>;

/**
 * Someone wrote your @username: in a comment (`comment` set) or in a post's caption
 * (`comment` null). The author of the post commented on is told of the comment instead.
 */
export const MentionNotification = z.object({
  ...activityFields,
  type: z.literal('mention'),
  post: NotificationPost,
  comment: NotificationComment.nullable(),
});
export type MentionNotification = z.infer<typeof MentionNotification>;

/** What `notifications.onActivity` carries: everything in the inbox but uploads. */
export const ActivityNotification = z.discriminatedUnion('type', [
  FollowNotification,
  LikeNotification,
  CommentNotification,
  MentionNotification,
]);
export type ActivityNotification = z.infer<typeof ActivityNotification>;

/** Everything the inbox holds, as `notifications.list` returns it. */
export const Notification = z.discriminatedUnion('type', [
  UploadNotification,
  FollowNotification,
  LikeNotification,
  CommentNotification,
  MentionNotification,
]);
export type Notification = z.infer<typeof Notification>;
export type NotificationType = Notification['type'];
export const NOTIFICATION_TYPES = ['upload', 'follow', 'like', 'comment', 'mention'] as const;

/** Which stream delivers a notification: its `eventId` counts in that stream only. */
export function notificationStream(
  notification: Pick<Notification, 'type'>,
): 'upload' | 'activity' {
  return notification.type === 'upload' ? 'upload' : 'activity';
}

/**
 * Notifications the inbox shows as one row: likes and comments on one post, and follows,
 * that came within `NOTIFICATION_GROUP_SPAN_HOURS` of the group's first (Mastodon's
 * rule); an upload or a mention is a group of one.
 */
export const NotificationGroup = z.object({
  /** Stable while the group grows; what `markGroupRead` takes. */
  key: z.string(),
  type: z.enum(NOTIFICATION_TYPES),
  /** Notifications in the group. */
  count: z.number(),
  /** Different people in the group ("alice, bob and 3 others": 5). */
  actorCount: z.number(),
  /** The newest first, at most `GROUP_SAMPLE_ACTORS`. */
  sampleActors: z.array(UserSummary),
  latestAt: z.date(),
  /** Every notification in the group is read. */
  read: z.boolean(),
  /** The post of a like, comment, upload or mention group; null for follows. */
  post: NotificationPost.nullable(),
  /** The newest comment of a comment group, or a mention's comment; else null. */
  comment: NotificationComment.nullable(),
});
export type NotificationGroup = z.infer<typeof NotificationGroup>;

export const NOTIFICATION_GROUP_SPAN_HOURS = 12;
export const GROUP_SAMPLE_ACTORS = 3;
const GROUP_KEY_MAX = 100;

/**
 * `notifications.onUpload`'s input. tRPC fills `lastEventId` from the `Last-Event-ID`
 * of a reconnecting EventSource; clients pass the newest `eventId` they already have
 * (from `notifications.list`, or the last event received). Null or absent: live only.
 */
export const OnUploadInput = optionalInput({
  // "0" means "from the very beginning": an app that loaded no notifications yet.
  lastEventId: decimalId('That event id is not valid.', { zero: true }).nullish(),
});
export type OnUploadInput = z.input<typeof OnUploadInput>;

/** `notifications.onActivity`'s input: as `onUpload`'s, in the activity stream's ids. */
export const OnActivityInput = OnUploadInput;
export type OnActivityInput = OnUploadInput;

export const NotificationsListInput = PageInput;
export const NotificationGroupsInput = PageInput;

export const MarkGroupReadInput = input({
  key: z
    .string({ error: 'Choose a notification group.' })
    .min(1, 'Choose a notification group.')
    .max(GROUP_KEY_MAX, 'That notification group is not valid.')
    .regex(/^[a-z0-9:-]+$/, 'That notification group is not valid.'),
});

export const MarkReadInput = input({
  ids: z
    .array(NotificationId, {
      error: (issue) =>
        issue.input === undefined
          ? 'Choose at least one notification.'
          : 'The ids must be a list of notification ids.',
    })
    .min(1, 'Choose at least one notification.')
    .max(500, 'Mark at most 500 notifications at once.'),
});

/** What each type of notification says its people did. */
const DID: Record<NotificationType, string> = {
  upload: 'uploaded a new post',
  follow: 'followed you',
  like: 'liked your post',
  comment: 'commented on your post',
  mention: 'mentioned you',
};

/** "@alice uploaded a new post", "@bob liked your post": the sentence every client shows. */
export function describeNotification(notification: Pick<Notification, 'actor' | 'type'>): string {
  return `@${notification.actor.username} ${DID[notification.type]}`;
}

/**
 * The people of a group: "@alice", "@alice and @bob", "@alice, @bob and @carol",
 * "@alice, @bob and 3 others".
 */
export function groupActors(group: Pick<NotificationGroup, 'sampleActors' | 'actorCount'>): string {
  const names = group.sampleActors.map((actor) => `@${actor.username}`);
  if (group.actorCount > names.length) {
    const shown = names.slice(0, 2);
    const rest = group.actorCount - shown.length;
    return `${shown.join(', ')} and ${rest} ${rest === 1 ? 'other' : 'others'}`;
  }
  if (names.length <= 1) return names[0] ?? 'Someone';
  return `${names.slice(0, -1).join(', ')} and ${names.at(-1)}`;
}

/** "@alice, @bob and 3 others liked your post": a group's sentence. */
export function describeGroup(
  group: Pick<NotificationGroup, 'sampleActors' | 'actorCount' | 'type'>,
): string {
  return `${groupActors(group)} ${DID[group.type]}`;
}
