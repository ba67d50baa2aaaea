import type { UploadNotification } from '@photogram/contracts';
import {
  type BusSubscription,
  DEFAULT_MAX_QUEUE,
  type NotificationBus,
  type SubscribeOptions,
  type UploadEvent,
} from './bus';

/** A subscriber's bounded queue and the one reader waiting on it. */
class Subscriber implements BusSubscription {
  #queue: UploadNotification[] = [];
  #head = 0;
  #wake: (() => void) | null = null;
  #closed = false;

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
  }
}

/** Channels keyed by user id: an upload wakes only its recipients' subscriptions. */
export class MemoryBus implements NotificationBus {
  readonly #channels = new Map<string, Set<Subscriber>>();

  async publish(event: UploadEvent): Promise<void> {
    this.deliver(event);
  }

  /** Synchronous delivery to this process's subscribers. */
  deliver(event: UploadEvent) {
    for (const recipient of event.recipients) {
      const channel = this.#channels.get(recipient.userId);
      if (!channel) continue;
      const notification = { ...event.notification, id: recipient.notificationId };
      for (const subscriber of channel) subscriber.push(notification);
    }
  }

  subscribe(userId: string, options: SubscribeOptions): BusSubscription {
    const subscriber = new Subscriber(
      options.maxQueue ?? DEFAULT_MAX_QUEUE,
      options.onOverflow,
      (gone) => {
        const channel = this.#channels.get(userId);
        channel?.delete(gone);
        if (channel?.size === 0) this.#channels.delete(userId);
      },
    );
    let channel = this.#channels.get(userId);
    if (!channel) {
      channel = new Set();
      this.#channels.set(userId, channel);
    }
    channel.add(subscriber);
    return subscriber;
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
