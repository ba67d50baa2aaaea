import { sql } from 'drizzle-orm';
import {
  bigint,
  boolean,
  check,
  index,
  integer,
  pgTable,
  primaryKey,
  text,
  timestamp,
  uniqueIndex,
} from 'drizzle-orm/pg-core';

export const users = pgTable(
  'users',
  {
    id: text('id').primaryKey(),
    username: text('username').notNull(),
    displayName: text('display_name').notNull(),
    bio: text('bio').notNull().default(''),
    passwordHash: text('password_hash').notNull(),
    /** Media keys of the profile photo's 320 px and 96 px square variants; null: none. */
    avatarKey: text('avatar_key'),
    avatarThumbKey: text('avatar_thumb_key'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [uniqueIndex('users_username_lower_key').on(sql`lower(${t.username})`)],
);
export type User = typeof users.$inferSelect;
export type NewUser = typeof users.$inferInsert;

/**
 * Browser sessions (lucia v3). `id` is the SHA-256 (hex) of the cookie's value, never the
 * value itself: someone who reads this table cannot sign in as anyone (see `createAuth`).
 */
export const sessions = pgTable(
  'sessions',
  {
    id: text('id').primaryKey(),
    userId: text('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    expiresAt: timestamp('expires_at', { withTimezone: true, mode: 'date' }).notNull(),
  },
  (t) => [index('sessions_user_id_idx').on(t.userId)],
);
export type Session = typeof sessions.$inferSelect;
export type NewSession = typeof sessions.$inferInsert;

/**
 * Who follows whom. `id` orders follower lists newest first; the indexes serve the
 * fan-out ("who follows the author") and "whom do I follow".
 */
export const follows = pgTable(
  'follows',
  {
    id: bigint('id', { mode: 'number' }).notNull().generatedAlwaysAsIdentity(),
    followerId: text('follower_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    followeeId: text('followee_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    /** Whether the followee's uploads reach the follower's inbox and toasts (the bell). */
    notify: boolean('notify').notNull().default(true),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    primaryKey({ columns: [t.followerId, t.followeeId] }),
    index('follows_followee_id_idx').on(t.followeeId, t.id),
    index('follows_follower_id_idx').on(t.followerId, t.id),
    check('follows_no_self_follow', sql`${t.followerId} <> ${t.followeeId}`),
  ],
);
export type Follow = typeof follows.$inferSelect;
export type NewFollow = typeof follows.$inferInsert;

/** Photos. Ids come from one sequence, so "newer" is "larger id" for keyset pages. */
export const posts = pgTable(
  'posts',
  {
    id: bigint('id', { mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
    authorId: text('author_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    caption: text('caption').notNull().default(''),
    /** What the photo shows, for people who cannot see it: the image's `alt`. */
    altText: text('alt_text').notNull().default(''),
    /**
     * Kept by the like and comment transactions, so a page of posts carries its counts
     * without counting rows per post.
     */
    likeCount: integer('like_count').notNull().default(0),
    commentCount: integer('comment_count').notNull().default(0),
    /** Media keys of the display variant (longest side 1080 px) and the 320 px thumbnail. */
    imageKey: text('image_key').notNull(),
    thumbKey: text('thumb_key').notNull(),
    width: integer('width').notNull(),
    height: integer('height').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    index('posts_author_id_id_idx').on(t.authorId, t.id),
    // Deleting a post keeps files another post shares; these answer "is it shared?".
    index('posts_image_key_idx').on(t.imageKey),
    index('posts_thumb_key_idx').on(t.thumbKey),
  ],
);
export type Post = typeof posts.$inferSelect;
export type NewPost = typeof posts.$inferInsert;

/** One like per person per post. `id` orders a post's likers newest first. */
export const likes = pgTable(
  'likes',
  {
    id: bigint('id', { mode: 'number' }).notNull().generatedAlwaysAsIdentity(),
    postId: bigint('post_id', { mode: 'number' })
      .notNull()
      .references(() => posts.id, { onDelete: 'cascade' }),
    userId: text('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    primaryKey({ columns: [t.postId, t.userId] }),
    index('likes_post_id_id_idx').on(t.postId, t.id),
    index('likes_user_id_idx').on(t.userId),
  ],
);
export type Like = typeof likes.$inferSelect;

/** Comments, read oldest first per post. */
export const comments = pgTable(
  'comments',
  {
    id: bigint('id', { mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
    postId: bigint('post_id', { mode: 'number' })
      .notNull()
      .references(() => posts.id, { onDelete: 'cascade' }),
    authorId: text('author_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    body: text('body').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    index('comments_post_id_id_idx').on(t.postId, t.id),
    index('comments_author_id_idx').on(t.authorId),
  ],
);
export type Comment = typeof comments.$inferSelect;

/**
 * One row per follower per upload, written in the upload's transaction. `seq` numbers a
 * recipient's notifications 1, 2, 3, … in the order they commit (see `notificationHeads`)
 * and is the SSE event id clients resume from; `id` is the row's global identity.
 */
export const notifications = pgTable(
  'notifications',
  {
    id: bigint('id', { mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
    recipientId: text('recipient_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    /**
     * `upload`, `follow`, `like`, `comment` or `mention`. Uploads and the rest count
     * their `seq` apart: `onUpload` and `onActivity` are two streams.
     */
    type: text('type').notNull().default('upload'),
    seq: bigint('seq', { mode: 'number' }).notNull(),
    actorId: text('actor_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    /** The post it is about; null for a follow. */
    postId: bigint('post_id', { mode: 'number' }).references(() => posts.id, {
      onDelete: 'cascade',
    }),
    /** The comment of a `comment` or comment `mention`: deleting the comment withdraws it. */
    commentId: bigint('comment_id', { mode: 'number' }).references(() => comments.id, {
      onDelete: 'cascade',
    }),
    /**
     * The inbox row it belongs to (`like:<post>:<first>`, `comment:<post>:<first>`,
     * `follow:<first>`, named after the group's first notification); null: a row of its own.
     */
    groupKey: text('group_key'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    readAt: timestamp('read_at', { withTimezone: true }),
  },
  (t) => [
    index('notifications_recipient_id_id_idx').on(t.recipientId, t.id),
    // Replay and catch-up read "this recipient's rows after seq N" of one stream from these.
    uniqueIndex('notifications_recipient_id_seq_key')
      .on(t.recipientId, t.seq)
      .where(sql`${t.type} = 'upload'`),
    uniqueIndex('notifications_recipient_id_activity_seq_key')
      .on(t.recipientId, t.seq)
      .where(sql`${t.type} <> 'upload'`),
    // Grouping and withdrawal find "this recipient's latest like of post P" here.
    index('notifications_recipient_type_post_idx').on(t.recipientId, t.type, t.postId, t.id),
    // The badge counts the newest unread rows, and "mark all read" finds them, here.
    index('notifications_recipient_unread_idx')
      .on(t.recipientId, t.id)
      .where(sql`${t.readAt} is null`),
    // The inbox reads each group's members (people, counts after a removal) here,
    index('notifications_recipient_group_idx')
      .on(t.recipientId, t.groupKey, t.id)
      .where(sql`${t.groupKey} is not null`),
    // whether a group has anything unread here,
    index('notifications_recipient_group_unread_idx')
      .on(t.recipientId, t.groupKey)
      .where(sql`${t.readAt} is null and ${t.groupKey} is not null`),
    // and its rows of one notification (uploads, mentions), newest first, here.
    index('notifications_recipient_alone_idx')
      .on(t.recipientId, t.id)
      .where(sql`${t.groupKey} is null`),
    index('notifications_post_id_idx').on(t.postId),
    index('notifications_comment_id_idx').on(t.commentId),
    check(
      'notifications_type_check',
      sql`${t.type} in ('upload', 'follow', 'like', 'comment', 'mention')`,
    ),
    check('notifications_post_check', sql`(${t.type} = 'follow') = (${t.postId} is null)`),
  ],
);
export type Notification = typeof notifications.$inferSelect;
export type NewNotification = typeof notifications.$inferInsert;

/**
 * One row per group of notifications (`notifications.group_key`): its newest notification
 * and how many it holds, so the inbox pages its groups by `latest_id` without reading
 * their members. Kept by triggers on `notifications` (migration 0010), for every insert
 * and every delete, cascades included; nothing else writes it.
 */
export const notificationGroups = pgTable(
  'notification_groups',
  {
    recipientId: text('recipient_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    groupKey: text('group_key').notNull(),
    latestId: bigint('latest_id', { mode: 'number' }).notNull(),
    count: integer('count').notNull(),
    /** Its oldest notification's time: a group takes newcomers for 12 hours from it. */
    startedAt: timestamp('started_at', { withTimezone: true }).notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.recipientId, t.groupKey] }),
    index('notification_groups_recipient_latest_idx').on(t.recipientId, t.latestId),
  ],
);

/**
 * Each recipient's newest notification `seq`. The upload transaction bumps the heads of
 * all the author's followers in one statement, locking them in recipient order: a second
 * upload to the same person waits for the first to commit or roll back, so a recipient's
 * notifications become visible strictly in `seq` order, with no gaps but deleted posts'.
 */
export const notificationHeads = pgTable('notification_heads', {
  recipientId: text('recipient_id')
    .primaryKey()
    .references(() => users.id, { onDelete: 'cascade' }),
  seq: bigint('seq', { mode: 'number' }).notNull(),
  /** The newest `seq` of the recipient's activity stream (follows, likes, comments, mentions). */
  activitySeq: bigint('activity_seq', { mode: 'number' }).notNull().default(0),
});
export type NotificationHead = typeof notificationHeads.$inferSelect;

/**
 * API tokens for internal apps and the CLI (`Authorization: Bearer`). Only a SHA-256 of
 * the token is stored; the token itself is shown once, when it is created.
 */
export const apiTokens = pgTable(
  'api_tokens',
  {
    id: text('id').primaryKey(),
    userId: text('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    tokenHash: text('token_hash').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    lastUsedAt: timestamp('last_used_at', { withTimezone: true }),
  },
  (t) => [
    uniqueIndex('api_tokens_token_hash_key').on(t.tokenHash),
    index('api_tokens_user_id_idx').on(t.userId),
  ],
);
export type ApiToken = typeof apiTokens.$inferSelect;
export type NewApiToken = typeof apiTokens.$inferInsert;

/**
 * Fixed-window counters for rate limits (sign-in failures, sign-ups, uploads), kept here
 * so that every server process on one database counts together and a restart forgets
 * nothing. A row whose window has passed counts as empty; old rows are swept.
 */
export const rateLimits = pgTable(
  'rate_limits',
  {
    key: text('key').primaryKey(),
    points: integer('points').notNull(),
    expiresAt: timestamp('expires_at', { withTimezone: true, mode: 'date' }).notNull(),
  },
  (t) => [index('rate_limits_expires_at_idx').on(t.expiresAt)],
);
export type RateLimitRow = typeof rateLimits.$inferSelect;
