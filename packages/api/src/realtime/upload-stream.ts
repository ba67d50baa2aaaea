import type { UploadNotification } from '@photogram/contracts';
import type { Database } from '@photogram/db';
import { notificationHead, notificationsAfter } from '../services/notifications';
import { type BusSubscription, CATCH_UP } from './bus';

/**
 * One subscription's upload notifications, exactly once and in commit order: what came
 * after `lastEventId` (read from the database), then live ones from `live`, which must
 * have been subscribed before this starts so nothing that commits meanwhile is missed.
 *
 * The stream keeps one number, its position: the `seq` of the last notification it
 * yielded, the `lastEventId` it would resume from. A recipient's notifications commit in `seq` order (see `fanOutUpload`), so
 * "everything after my position" read from the database is complete at that moment.
 * A live notification right after the position is yielded; one at or before it was
 * yielded already and is dropped; one further ahead shows a hole (a publish that has
 * not arrived, or never will: its NOTIFY was lost), and so does a `CATCH_UP` nudge from
 * the bus. Either way the stream reads the database after its position and carries on.
 */
export async function* uploadStream(
  db: Database,
  live: BusSubscription,
  params: { userId: string; lastEventId: string | null | undefined },
): AsyncGenerator<UploadNotification> {
  const { userId } = params;
  let position: number;
  // Whether `position` is known to be one of this person's (a client may resume from an
  // id that never was, e.g. one kept from before ids were numbered per recipient).
  let confirmed: boolean;
  if (params.lastEventId === null || params.lastEventId === undefined) {
    // Live only: start at the head.
    position = await notificationHead(db, { userId });
    confirmed = true;
  } else {
    position = Number(params.lastEventId);
    confirmed = position === 0;
  }

  async function* catchUp(): AsyncGenerator<UploadNotification> {
    for await (const notification of notificationsAfter(db, { userId, lastEventId: position })) {
      position = Number(notification.eventId);
      live.position = position;
      confirmed = true;
      yield notification;
    }
  }

  live.position = position;
  if (params.lastEventId) yield* catchUp();

  for await (const item of live) {
    if (item === CATCH_UP) {
      yield* catchUp();
      continue;
    }
    const seq = Number(item.eventId);
    if (seq <= position && !confirmed) {
      // Either the client does have it (a late publish), or its position is not real.
      if ((await notificationHead(db, { userId })) >= position) confirmed = true;
      else position = seq - 1;
    }
    if (seq === position + 1) {
      position = seq;
      live.position = seq;
      confirmed = true;
      yield item;
    } else if (seq > position) {
      // A hole before this one. The read includes this one unless its post was deleted.
      yield* catchUp();
    }
  }
}
