import type { UploadNotification } from '@photogram/contracts';
import {
  type BusSubscription,
  CredentialRevokedError,
  DEFAULT_MAX_QUEUE,
  type NotificationBus,
  type SubscribeOptions,
  type UploadEvent,
} from './bus';
import { notificationFor } from './payloads';

/** A subscriber's bounded queue and the one reader waiting on it. */
class Subscriber implements BusSubscription {
  #queue: UploadNotification[] = [];
  #head = 0;
  #wake: (() => void) | null = null;
  #closed = false;
  #failure: Error | null = null;

  constructor(
    private readonly maxQueue: number,
    private readonly onOverflow: () => void,
    private readonly onClose: (subscriber: Subscriber) => void,
  ) {}

  push(notification: UploadNotification) {
    if (this.#closed) return;
    if (this.#queue.length - this.#head >= this.maxQueue) {
      // A reader this far behind is not reading: drop it; it replays what it missed on reconnect.
      this.close();
      this.onOverflow();
      return;
    }
    this.#queue.push(notification);
    this.#wake?.();
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
    this.#wake?.();
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<UploadNotification> {
    while (!this.#closed) {
      const next = this.#queue[this.#head];
      if (next !== undefined) {
        this.#head += 1;
        if (this.#head === this.#queue.length) {
          this.#queue = [];
          this.#head = 0;
        }
        yield next;
        continue;
      }
      await new Promise<void>((resolve) => {
        this.#wake = resolve;
      });
      this.#wake = null;
    }
    if (this.#failure) throw this.#failure;
  }
}

/** Channels keyed by user id: an upload wakes only its recipients' subscriptions. */
export class MemoryBus implements NotificationBus {
  readonly #channels = new Map<string, Set<Subscriber>>();
  readonly #byCredential = new Map<string, Set<Subscriber>>();

  async publish(event: UploadEvent): Promise<void> {
    this.deliver(event);
  }

  /** Synchronous delivery to this process's subscribers. */
  deliver(event: UploadEvent) {
    for (const recipient of event.recipients) {
      const channel = this.#channels.get(recipient.userId);
      if (!channel) continue;
      // One object per recipient, shared by that person's tabs.
      const notification = notificationFor(event, recipient.notificationId);
      for (const subscriber of channel) subscriber.push(notification);
    }
  }

  subscribe(userId: string, options: SubscribeOptions): BusSubscription {
    const credentialId = options.credentialId;
    const subscriber = new Subscriber(
      options.maxQueue ?? DEFAULT_MAX_QUEUE,
      options.onOverflow,
      (gone) => {
        removeFrom(this.#channels, userId, gone);
        if (credentialId) removeFrom(this.#byCredential, credentialId, gone);
      },
    );
    addTo(this.#channels, userId, subscriber);
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

  /** Users with at least one open subscription here. */
  connectedUserIds(): string[] {
    return [...this.#channels.keys()];
  }

  async close(): Promise<void> {
    for (const channel of this.#channels.values())
      for (const subscriber of channel) subscriber.close();
  }
}

function addTo(map: Map<string, Set<Subscriber>>, key: string, subscriber: Subscriber) {
  let set = map.get(key);
  if (!set) {
    set = new Set();
    map.set(key, set);
  }
  set.add(subscriber);
}

function removeFrom(map: Map<string, Set<Subscriber>>, key: string, subscriber: Subscriber) {
  const set = map.get(key);
  set?.delete(subscriber);
  if (set?.size === 0) map.delete(key);
}
