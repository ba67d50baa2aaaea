import type { UploadNotification } from '@photogram/contracts';
import superjson from 'superjson';
import type { UploadEvent } from './bus';

type SharedPart = UploadEvent['notification'];

/** Each recipient's notification → the part every recipient of that upload shares. */
const sharedPartOf = new WeakMap<UploadNotification, SharedPart>();
/** The shared part's serialized JSON after `{"json":{`, computed once per upload. */
const serializedTails = new WeakMap<SharedPart, string>();

const PREFIX = '{"json":{';

/**
 * One recipient's notification of an upload. The result remembers the upload's (frozen)
 * shared part, so `serializeSubscriptionData` can reuse that part's JSON for
 * every recipient instead of serializing each of them whole.
 */
export function notificationFor(
  event: UploadEvent,
  recipient: UploadEvent['recipients'][number],
): UploadNotification {
  // The cached JSON is only right while the shared part stays as it was: freeze it.
  if (!Object.isFrozen(event.notification)) deepFreeze(event.notification);
  // Not frozen itself (that costs more than the rest of a delivery); it is made here and
  // only handed to subscriptions, which yield it as it is.
  // Field by field rather than a spread: this runs once per recipient of every upload.
  const shared = event.notification;
  const notification: UploadNotification = {
    id: recipient.notificationId,
    eventId: recipient.eventId,
    type: shared.type,
    createdAt: shared.createdAt,
    read: shared.read,
    actor: shared.actor,
    post: shared.post,
  };
  sharedPartOf.set(notification, event.notification);
  return notification;
}

/**
 * The JSON text of a subscription value as the router's transformer (superjson) writes
 * it. A notification made by `notificationFor` costs one string concatenation: its
 * upload's shared part is serialized once, on its first recipient, and the recipient's
 * own ids, plain strings that add nothing to superjson's `meta`, go in front.
 */
export function serializeSubscriptionData(value: unknown): string {
  const shared =
    typeof value === 'object' && value !== null
      ? sharedPartOf.get(value as UploadNotification)
      : undefined;
  if (!shared) return JSON.stringify(superjson.serialize(value));
  let tail = serializedTails.get(shared);
  if (tail === undefined) {
    const whole = JSON.stringify(superjson.serialize(shared));
    // superjson always writes `json` first; anything else is serialized whole.
    if (!whole.startsWith(PREFIX)) return JSON.stringify(superjson.serialize(value));
    const rest = whole.slice(PREFIX.length);
    tail = rest.startsWith('}') ? rest : `,${rest}`;
    serializedTails.set(shared, tail);
  }
  const { id, eventId } = value as UploadNotification;
  return `${PREFIX}"id":${JSON.stringify(id)},"eventId":${JSON.stringify(eventId)}${tail}`;
}

function deepFreeze(value: object) {
  for (const inner of Object.values(value)) {
    if (typeof inner === 'object' && inner !== null && !(inner instanceof Date)) deepFreeze(inner);
  }
  Object.freeze(value);
}
