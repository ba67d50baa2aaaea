import type { UploadNotification } from '@photogram/contracts';

/** One upload's notifications, as published after the upload's transaction committed. */
export interface UploadEvent {
  postId: string;
  /** What every recipient is told; only the ids differ between them. */
  notification: Omit<UploadNotification, 'id' | 'eventId'>;
  recipients: ReadonlyArray<{ userId: string; notificationId: string; eventId: string }>;
  /**
   * When the upload's transaction committed (`Date.now()`), carried to every process so
   * each can tell how long the event took to reach its subscribers; absent when unknown.
   */
  committedAt?: number | undefined;
}

/**
 * Told once per event a process has handed to at least one local subscription, at that
 * moment, so figures such as the fan-out latency need no hook in the delivery loop.
 */
export type DeliveryObserver = (event: UploadEvent) => void;

export interface SubscribeOptions {
  /** Events a subscriber may have waiting before it counts as stuck (default 256). */
  maxQueue?: number | undefined;
  /** Called once when the queue overflows; the subscription has ended by then. */
  onOverflow(): void;
  /** The session or API token behind the subscription, so revoking it can end it. */
  credentialId?: string | undefined;
}

/** What a subscription's iterator throws when its session or token is revoked. */
export class CredentialRevokedError extends Error {
  override name = 'CredentialRevokedError';
}

/**
 * What a subscription yields besides notifications: "you may have missed something,
 * read the database after your position". Sent when the bus knows a recipient's head is
 * ahead of the subscription (its LISTEN connection came back, or a periodic check).
 */
export const CATCH_UP: unique symbol = Symbol('catch-up');
export type BusItem = UploadNotification | typeof CATCH_UP;

/** Which stream a subscription follows: `onUpload`'s or `onActivity`'s. */
export type StreamKind = 'upload' | 'activity';

/** One user's live notifications; ends when closed or when its queue overflows. */
export interface BusSubscription extends AsyncIterable<BusItem> {
  /**
   * The `seq` of the last notification the reader handed on (kept up to date by the
   * reader), so the bus can tell which subscriptions are behind their recipient's head.
   */
  position: number;
  close(): void;
}

/**
 * Delivers upload notifications to the subscriptions of their recipients. `memory`
 * serves one process; `postgres` fans out across processes through LISTEN/NOTIFY.
 */
export interface NotificationBus {
  publish(event: UploadEvent): Promise<void>;
  subscribe(userId: string, options: SubscribeOptions): BusSubscription;
  /**
   * Tells these recipients' activity streams, in every process, that their activity
   * grew (after the transaction committed). Activity carries no payload on the bus: an
   * activity subscription yields only `CATCH_UP`, and its stream reads the database.
   */
  publishActivity(recipientIds: readonly string[]): Promise<void>;
  /** One user's activity subscription: `CATCH_UP` nudges, position in the activity `seq`. */
  subscribeActivity(userId: string, options: SubscribeOptions): BusSubscription;
  /** Ends, in every process, the subscriptions opened with this session or token. */
  revoke(credentialId: string): Promise<void>;
  /**
   * Resolves when the bus can deliver; rejects with an error saying what is down (for
   * `/healthz`), e.g. a `postgres` bus whose LISTEN connection is lost.
   */
  check(): Promise<void>;
  /**
   * Whether the bus can hear other processes now: always for `memory`, while the LISTEN
   * connection is up for `postgres` (no round trip, unlike `check()`; for `/metrics`).
   */
  readonly connected: boolean;
  /** Calls `observer` for every event delivered here from now on; returns the undo. */
  observeDeliveries(observer: DeliveryObserver): () => void;
  close(): Promise<void>;
}

export const DEFAULT_MAX_QUEUE = 256;
