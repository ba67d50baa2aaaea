import type { ActivityNotification } from '@photogram/contracts';
import type { Database } from '@photogram/db';
import { activityAfter, activityHead } from '../services/activity';
import type { BusSubscription } from './bus';

/**
 * One subscription's activity notifications (follows, likes, comments, mentions),
 * exactly once and in commit order: what came after `lastEventId`, then, on every nudge
 * from the bus, what the database holds after the stream's position. `live` must be
 * subscribed before this starts, so nothing that commits meanwhile goes unheard.
 *
 * Activity rides the bus without a payload (see `NotificationBus.publishActivity`), so
 * the database is the only source and the rule is short: read after the position, move
 * the position to what was read. A recipient's activity commits in `seq` order (its head
 * is locked to commit, see `recordActivity`), so that read is complete when it runs.
 * Withdrawn notifications leave gaps; the head is read first so the position can step
 * over a gap at the end, and the bus's periodic check does not nudge a stream forever.
 */
export async function* activityStream(
  db: Database,
  live: BusSubscription,
  params: { userId: string; lastEventId: string | null | undefined },
): AsyncGenerator<ActivityNotification> {
  const { userId } = params;
  const head = await activityHead(db, { userId });
  const resuming = params.lastEventId !== null && params.lastEventId !== undefined;
  // Live only: start at the head. An id beyond the head was never this person's (a
  // database restored from a backup, say): resume from the head, not wait for it.
  let position = resuming ? Math.min(Number(params.lastEventId), head) : head;
  live.position = position;

  async function* catchUp(): AsyncGenerator<ActivityNotification> {
    // Read before the rows, so every row at or below it is in the read that follows.
    const seen = await activityHead(db, { userId });
    for await (const notification of activityAfter(db, { userId, lastEventId: position })) {
      position = Number(notification.eventId);
      live.position = position;
      yield notification;
    }
    if (seen > position) {
      position = seen;
      live.position = seen;
    }
  }

  if (resuming) yield* catchUp();
  for await (const _nudge of live) yield* catchUp();
}
