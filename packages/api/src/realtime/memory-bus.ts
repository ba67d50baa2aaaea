import { channel as diagnosticsChannel } from 'node:diagnostics_channel';
import {
  type BusItem,
  type BusSubscription,
  CATCH_UP,
  CredentialRevokedError,
  DEFAULT_MAX_QUEUE,
  type DeliveryObserver,
  type NotificationBus,
  type StreamKind,
  type SubscribeOptions,
  type UploadEvent,
} from './bus';
import { notificationFor, uploadPayload } from './payloads';

/** The one `next()` waiting for a notification. */
interface Reader {
  resolve(result: IteratorResult<BusItem>): void;
  reject(error: Error): void;
}

/**
 * A subscriber's bounded queue and the one reader waiting on it. It is its own async
 * iterator, written out rather than as an async generator: on a fan-out to thousands of
 * subscribers, a generator's extra promise hops and its frame per subscriber add up.
 */
class Subscriber implements BusSubscription, AsyncIterator<BusItem> {
  position = 0;
  #queue: BusItem[] = [];
  #head = 0;
  #reader: Reader | null = null;
  #closed = false;
  #failure: Error | null = null;
  /** A CATCH_UP is waiting in the queue: one is enough. */
  #nudged = false;

  constructor(
    private readonly maxQueue: number,
    private readonly onOverflow: () => void,
    private readonly onClose: (subscriber: Subscriber) => void,
  ) {}

  /** Asks the reader to catch up from the database (see `CATCH_UP`). */
  nudge() {
    if (this.#nudged) return;
    this.#nudged = true;
    this.push(CATCH_UP);
  }

  push(notification: BusItem) {
    if (this.#closed) return;
    const reader = this.#reader;
    if (reader) {
      // Someone is waiting: hand it over without queueing.
      this.#reader = null;
      if (notification === CATCH_UP) this.#nudged = false;
      reader.resolve({ value: notification, done: false });
      return;
    }
    if (this.#queue.length - this.#head >= this.maxQueue) {
      // A reader this far behind is not reading: drop it; it replays what it missed on reconnect.
      this.close();
      this.onOverflow();
      return;
    }
    this.#queue.push(notification);
  }

  /** Ends the subscription with an error its reader will see. */
  fail(error: Error) {
    if (this.#closed) return;
    this.#failure = error;
    this.close();
  }

  close() {
    if (this.#closed) return;
    this.#closed = true;
    this.#queue = [];
    this.#head = 0;
    this.onClose(this);
    const reader = this.#reader;
    this.#reader = null;
    if (reader) this.#settle(reader);
  }

  next(): Promise<IteratorResult<BusItem>> {
    const queued = this.#queue[this.#head];
    if (queued !== undefined) {
      if (queued === CATCH_UP) this.#nudged = false;
      this.#head += 1;
      if (this.#head === this.#queue.length) {
        this.#queue = [];
        this.#head = 0;
      }
      return Promise.resolve({ value: queued, done: false });
    }
    return new Promise((resolve, reject) => {
      const reader = { resolve, reject };
      if (this.#closed) this.#settle(reader);
      else this.#reader = reader;
    });
  }

  /** A reader that leaves early (`break` in `for await`) closes the subscription. */
  return(): Promise<IteratorResult<BusItem>> {
    this.close();
    return Promise.resolve({ value: undefined, done: true });
  }

  [Symbol.asyncIterator]() {
    return this;
  }

  /** What a reader gets once the subscription is closed: the end, or the failure. */
  #settle(reader: Reader) {
    if (this.#failure) reader.reject(this.#failure);
    else reader.resolve({ value: undefined, done: true });
  }
}

/**
 * Published (`{ postId }`) the moment this process starts handing an upload to its
 * subscribers, before the loop: what `npm run bench` times the fan-out from, without
 * reaching into the bus. Free when nothing subscribes.
 */
export const DELIVER_CHANNEL = 'photogram:bus:deliver';
const deliverChannel = diagnosticsChannel(DELIVER_CHANNEL);

/** Channels keyed by user id: an upload wakes only its recipients' subscriptions. */
export class MemoryBus implements NotificationBus {
  // Arrays, not Sets: a person has a handful of tabs, and the fan-out loop walks them.
  readonly #channels = new Map<string, Subscriber[]>();
  /** The same for activity subscriptions, which are only ever nudged. */
  readonly #activity = new Map<string, Subscriber[]>();
  readonly #byCredential = new Map<string, Subscriber[]>();
  #observers: DeliveryObserver[] = [];

  /** One process has nothing to lose touch with. */
  readonly connected = true;

  async publish(event: UploadEvent): Promise<void> {
    this.deliver(event);
  }

  /** Synchronous delivery to this process's subscribers. */
  deliver(event: UploadEvent) {
    if (deliverChannel.hasSubscribers) deliverChannel.publish({ postId: event.postId });
    // Made on the first recipient with a subscription here: the transport serializes
    // its shared part once, whatever the number of recipients.
    let payload: ReturnType<typeof uploadPayload> | null = null;
    for (const recipient of event.recipients) {
      const channel = this.#channels.get(recipient.userId);
      if (!channel) continue;
      payload ??= uploadPayload(event);
      // One object per recipient, shared by that person's tabs.
      const notification = notificationFor(payload, recipient);
      // Backwards: a subscriber that overflows leaves the array during the loop.
      for (let index = channel.length - 1; index >= 0; index--) channel[index]?.push(notification);
    }
    // Once per event, not per recipient: the fan-out to 10,000 stays one loop.
    if (payload) for (const observer of this.#observers) observer(event);
  }

  observeDeliveries(observer: DeliveryObserver): () => void {
    this.#observers = [...this.#observers, observer];
    return () => {
      this.#observers = this.#observers.filter((other) => other !== observer);
    };
  }

  subscribe(userId: string, options: SubscribeOptions): BusSubscription {
    return this.#subscribe(this.#channels, userId, options);
  }

  subscribeActivity(userId: string, options: SubscribeOptions): BusSubscription {
    return this.#subscribe(this.#activity, userId, options);
  }

  async publishActivity(recipientIds: readonly string[]): Promise<void> {
    this.nudgeActivity(recipientIds);
  }

  /** Nudges this process's activity subscriptions of these users to read the database. */
  nudgeActivity(userIds: readonly string[]) {
    for (const userId of userIds) {
      const channel = this.#activity.get(userId);
      if (!channel) continue;
      for (let index = channel.length - 1; index >= 0; index--) channel[index]?.nudge();
    }
  }

  #subscribe(
    channels: Map<string, Subscriber[]>,
    userId: string,
    options: SubscribeOptions,
  ): Subscriber {
    const credentialId = options.credentialId;
    const subscriber = new Subscriber(
      options.maxQueue ?? DEFAULT_MAX_QUEUE,
      options.onOverflow,
      (gone) => {
        removeFrom(channels, userId, gone);
        if (credentialId) removeFrom(this.#byCredential, credentialId, gone);
      },
    );
    addTo(channels, userId, subscriber);
    if (credentialId) addTo(this.#byCredential, credentialId, subscriber);
    return subscriber;
  }

  async revoke(credentialId: string): Promise<void> {
    this.revokeHere(credentialId);
  }

  /** Ends this process's subscriptions opened with the credential. */
  revokeHere(credentialId: string) {
    const subscribers = this.#byCredential.get(credentialId);
    if (!subscribers) return;
    for (const subscriber of [...subscribers]) {
      subscriber.fail(new CredentialRevokedError(credentialId));
    }
  }

  async check(): Promise<void> {}

  /**
   * Nudges every subscription of the stream whose position is behind its recipient's
   * head (`seq`, or `activity_seq`) to catch up from the database; returns how many.
   */
  nudgeBehind(heads: ReadonlyMap<string, number>, stream: StreamKind = 'upload'): number {
    const channels = stream === 'upload' ? this.#channels : this.#activity;
    let nudged = 0;
    for (const [userId, head] of heads) {
      const channel = channels.get(userId);
      if (!channel) continue;
      // Backwards: a subscriber that overflows leaves the array during the loop.
      for (let index = channel.length - 1; index >= 0; index--) {
        const subscriber = channel[index];
        if (subscriber && subscriber.position < head) {
          subscriber.nudge();
          nudged += 1;
        }
      }
    }
    return nudged;
  }

  /** Users with at least one open subscription of the stream here. */
  connectedUserIds(stream: StreamKind = 'upload'): string[] {
    return [...(stream === 'upload' ? this.#channels : this.#activity).keys()];
  }

  async close(): Promise<void> {
    // Copies: each close removes the subscriber from its channel.
    for (const channels of [this.#channels, this.#activity]) {
      for (const channel of [...channels.values()]) {
        for (const subscriber of [...channel]) subscriber.close();
      }
    }
  }
}

function addTo(map: Map<string, Subscriber[]>, key: string, subscriber: Subscriber) {
  const list = map.get(key);
  if (list) list.push(subscriber);
  else map.set(key, [subscriber]);
}

function removeFrom(map: Map<string, Subscriber[]>, key: string, subscriber: Subscriber) {
  const list = map.get(key);
  if (!list) return;
  const index = list.indexOf(subscriber);
  if (index !== -1) list.splice(index, 1);
  if (list.length === 0) map.delete(key);
}
