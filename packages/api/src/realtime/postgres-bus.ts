import { randomUUID } from 'node:crypto';
import type { Database, Listener, ListenOptions } from '@photogram/db';
import { loadUploadEvent, notificationHeadsOf } from '../services/notifications';
import type {
  BusSubscription,
  DeliveryObserver,
  NotificationBus,
  SubscribeOptions,
  UploadEvent,
} from './bus';
import { MemoryBus } from './memory-bus';

export const UPLOADS_CHANNEL = 'photogram_uploads';
export const REVOCATIONS_CHANNEL = 'photogram_revocations';
/** Payload: the recipients' ids, comma-separated (a like, comment or follow has one). */
export const ACTIVITY_CHANNEL = 'photogram_activity';
/** Each process NOTIFYs itself here to prove its LISTEN connection hears (`check()`). */
export const PING_CHANNEL = 'photogram_ping';
// Keeps each lookup well under PostgreSQL's 65,535 bind parameters.
const RECIPIENT_CHUNK = 5_000;
/** How often the heads of connected recipients are compared with their subscriptions. */
export const DEFAULT_HEAD_CHECK_INTERVAL_MS = 10_000;
const PING_TIMEOUT_MS = 2_000;
const ACTIVITY_CHUNK = 100;

export interface PostgresBusOptions {
  db: Database;
  listen(options: ListenOptions): Promise<Listener>;
  notify(channel: string, payload: string): Promise<void>;
  onError(error: unknown): void;
  /**
   * The safety net's period: every interval, one query reads the notification heads of
   * the users connected here and nudges the subscriptions that are behind (a NOTIFY that
   * was never sent or never heard). 0 turns it off.
   */
  headCheckIntervalMs?: number;
  /** The LISTEN connection's `application_name` (default `photogram-listen-<pid>`). */
  applicationName?: string;
}

/**
 * Many server processes on one database. Publishing sends one NOTIFY per upload whose
 * payload is the post id; every process LISTENs, asks the database once which of its
 * connected users were recipients, and hands those to its local memory bus. Activity
 * (follows, likes, comments, mentions) sends one NOTIFY of its recipients' ids; each
 * process nudges those people's activity subscriptions to read the database.
 *
 * A NOTIFY is fire-and-forget: one sent while a process was not listening (its LISTEN
 * connection lost, PostgreSQL restarting) or never sent (the publisher died between
 * commit and NOTIFY) is gone. So whenever the LISTEN connection comes back, and every
 * `headCheckIntervalMs` besides, the bus reads the heads of its connected recipients in
 * one query and nudges the subscriptions that are behind to catch up from the database.
 */
export class PostgresBus implements NotificationBus {
  readonly #local = new MemoryBus();
  readonly #options: PostgresBusOptions;
  #listener: Listener | null = null;
  #timer: NodeJS.Timeout | null = null;
  #checking: Promise<void> | null = null;
  readonly #pings = new Map<string, () => void>();

  private constructor(options: PostgresBusOptions) {
    this.#options = options;
  }

  static async start(options: PostgresBusOptions): Promise<PostgresBus> {
    const bus = new PostgresBus(options);
    bus.#listener = await options.listen({
      channels: [UPLOADS_CHANNEL, ACTIVITY_CHANNEL, REVOCATIONS_CHANNEL, PING_CHANNEL],
      // The pid tells operators (and fault tests) whose LISTEN connection this is.
      applicationName: options.applicationName ?? `photogram-listen-${process.pid}`,
      onNotify: (channel, payload) => bus.#onNotify(channel, payload),
      onReconnect: () => {
        bus.catchUp().catch(options.onError);
      },
      onError: options.onError,
    });
    const interval = options.headCheckIntervalMs ?? DEFAULT_HEAD_CHECK_INTERVAL_MS;
    if (interval > 0) {
      bus.#timer = setInterval(() => {
        bus.catchUp().catch(options.onError);
      }, interval);
      bus.#timer.unref();
    }
    return bus;
  }

  async publish(event: UploadEvent): Promise<void> {
    // The commit time rides along (`<postId> <ms>`) so every process can time its fan-out.
    const payload =
      event.committedAt === undefined ? event.postId : `${event.postId} ${event.committedAt}`;
    await this.#options.notify(UPLOADS_CHANNEL, payload);
  }

  get connected(): boolean {
    return this.#listener?.listening ?? false;
  }

  observeDeliveries(observer: DeliveryObserver): () => void {
    return this.#local.observeDeliveries(observer);
  }

  subscribe(userId: string, options: SubscribeOptions): BusSubscription {
    return this.#local.subscribe(userId, options);
  }

  subscribeActivity(userId: string, options: SubscribeOptions): BusSubscription {
    return this.#local.subscribeActivity(userId, options);
  }

  async publishActivity(recipientIds: readonly string[]): Promise<void> {
    // Ids are short (see `textId`); a comment's author and ten mentions fit one NOTIFY
    // (8,000 bytes) many times over, but a long list is sent in pieces all the same.
    for (let start = 0; start < recipientIds.length; start += ACTIVITY_CHUNK) {
      await this.#options.notify(
        ACTIVITY_CHANNEL,
        recipientIds.slice(start, start + ACTIVITY_CHUNK).join(','),
      );
    }
  }

  async revoke(credentialId: string): Promise<void> {
    await this.#options.notify(REVOCATIONS_CHANNEL, credentialId);
  }

  /**
   * Resolves once a NOTIFY of our own has come back through the LISTEN connection;
   * rejects when that connection is down or nothing came back in time.
   */
  async check(): Promise<void> {
    if (!this.#listener?.listening) throw new Error('the LISTEN connection is down');
    const nonce = randomUUID();
    let timer: NodeJS.Timeout | undefined;
    const heard = new Promise<void>((resolve, reject) => {
      this.#pings.set(nonce, resolve);
      timer = setTimeout(
        () => reject(new Error(`no NOTIFY came back within ${PING_TIMEOUT_MS} ms`)),
        PING_TIMEOUT_MS,
      );
    });
    try {
      await this.#options.notify(PING_CHANNEL, nonce);
      await heard;
    } finally {
      clearTimeout(timer);
      this.#pings.delete(nonce);
    }
  }

  /**
   * Reads the heads of every user connected here (one query) and nudges the
   * subscriptions that are behind. Runs after the LISTEN connection comes back and on
   * the safety net's timer; overlapping calls share one run.
   */
  catchUp(): Promise<void> {
    if (!this.#checking) {
      this.#checking = this.#nudgeBehind().finally(() => {
        this.#checking = null;
      });
    }
    return this.#checking;
  }

  async #nudgeBehind() {
    for (const stream of ['upload', 'activity'] as const) {
      const connected = this.#local.connectedUserIds(stream);
      if (connected.length === 0) continue;
      const heads = await notificationHeadsOf(this.#options.db, { userIds: connected, stream });
      this.#local.nudgeBehind(heads, stream);
    }
  }

  #onNotify(channel: string, payload: string) {
    if (channel === UPLOADS_CHANNEL) this.#receive(payload).catch(this.#options.onError);
    else if (channel === ACTIVITY_CHANNEL) this.#local.nudgeActivity(payload.split(','));
    else if (channel === REVOCATIONS_CHANNEL) this.#local.revokeHere(payload);
    else if (channel === PING_CHANNEL) this.#pings.get(payload)?.();
  }

  async #receive(payload: string) {
    // A bare post id is what a process from before the commit time was added sends.
    const match = /^(\d+)(?: (\d+))?$/.exec(payload);
    const postId = match?.[1];
    if (postId === undefined) return;
    const committedAt = match?.[2] === undefined ? undefined : Number(match[2]);
    const connected = this.#local.connectedUserIds();
    for (let start = 0; start < connected.length; start += RECIPIENT_CHUNK) {
      const event = await loadUploadEvent(this.#options.db, {
        postId,
        recipientIds: connected.slice(start, start + RECIPIENT_CHUNK),
      });
      if (event) this.#local.deliver({ ...event, committedAt });
    }
  }

  async close(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    await this.#listener?.close();
    await this.#local.close();
  }
}
