import type { UploadNotification } from '@photogram/contracts';
import { SharedPayload } from '@photogram/trpc-sse';
import type { UploadEvent } from './bus';

type SharedPart = UploadEvent['notification'];

/**
 * What every recipient of an upload is told, as a payload the SSE transport serializes
 * once for all of them (made when the upload reaches its first local subscriber). Its
 * shared part is frozen from then on.
 */
export function uploadPayload(event: UploadEvent): SharedPayload<SharedPart> {
  return new SharedPayload(event.notification);
}

/**
 * One recipient's notification of an upload: a plain `UploadNotification` to anything
 * that reads it, which the SSE transport writes from its payload's text with only the
 * recipient's ids spliced in.
 */
export function notificationFor(
  payload: SharedPayload<SharedPart>,
  recipient: UploadEvent['recipients'][number],
): UploadNotification {
  const { shared } = payload;
  // Field by field rather than a spread (this runs once per recipient of every upload),
  // in the key order `notificationsAfter` builds them: frames compare byte for byte.
  return payload.attach<UploadNotification>({
    id: recipient.notificationId,
    eventId: recipient.eventId,
    type: shared.type,
    createdAt: shared.createdAt,
    read: shared.read,
    actor: shared.actor,
    post: shared.post,
  });
}
