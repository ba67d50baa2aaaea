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

export const NotificationsListInput = PageInput;

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

/** "@alice uploaded a new post": the sentence every client shows. */
export function describeNotification(notification: Pick<UploadNotification, 'actor'>): string {
  return `@${notification.actor.username} uploaded a new post`;
}
