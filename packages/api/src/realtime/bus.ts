import type { UploadNotification } from '@photogram/contracts';

/** One upload's notifications, as published after the upload's transaction committed. */
export interface UploadEvent {
  postId: string;
  /** What every recipient is told; only the notification id differs between them. */
  notification: Omit<UploadNotification, 'id'>;
  recipients: ReadonlyArray<{ userId: string; notificationId: string }>;
}

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

/** One user's live notifications; ends when closed or when its queue overflows. */
export interface BusSubscription extends AsyncIterable<UploadNotification> {
  close(): void;
}

/**
 * Delivers upload notifications to the subscriptions of their recipients. `memory`
 * serves one process; `postgres` fans out across processes through LISTEN/NOTIFY.
 */
export interface NotificationBus {
  publish(event: UploadEvent): Promise<void>;
  subscribe(userId: string, options: SubscribeOptions): BusSubscription;
  /** Ends, in every process, the subscriptions opened with this session or token. */
  revoke(credentialId: string): Promise<void>;
  /**
   * Resolves when the bus can deliver; rejects with an error saying what is down (for
   * `/healthz`), e.g. a `postgres` bus whose LISTEN connection is lost.
   */
  check(): Promise<void>;
  close(): Promise<void>;
}

export const DEFAULT_MAX_QUEUE = 256;
