import type { Database } from '@photogram/db';
import { loadUploadEvent } from '../services/notifications';
import type { BusSubscription, NotificationBus, SubscribeOptions, UploadEvent } from './bus';
import { MemoryBus } from './memory-bus';

export const UPLOADS_CHANNEL = 'photogram_uploads';
export const REVOCATIONS_CHANNEL = 'photogram_revocations';
// Keeps each lookup well under PostgreSQL's 65,535 bind parameters.
const RECIPIENT_CHUNK = 5_000;

export interface PostgresBusOptions {
  db: Database;
  listen(channel: string, onPayload: (payload: string) => void): Promise<() => Promise<void>>;
  notify(channel: string, payload: string): Promise<void>;
  onError(error: unknown): void;
}

/**
 * Many server processes on one database. Publishing sends one NOTIFY per upload whose
 * payload is the post id; every process LISTENs, asks the database once which of its
 * connected users were recipients, and hands those to its local memory bus.
 */
export class PostgresBus implements NotificationBus {
  readonly #local = new MemoryBus();
  readonly #options: PostgresBusOptions;
  #unlisten: Array<() => Promise<void>> = [];

  private constructor(options: PostgresBusOptions) {
    this.#options = options;
  }

  static async start(options: PostgresBusOptions): Promise<PostgresBus> {
    const bus = new PostgresBus(options);
    bus.#unlisten = await Promise.all([
      options.listen(UPLOADS_CHANNEL, (postId) => {
        bus.#receive(postId).catch(options.onError);
      }),
      options.listen(REVOCATIONS_CHANNEL, (credentialId) => bus.#local.revokeHere(credentialId)),
    ]);
    return bus;
  }

  async publish(event: UploadEvent): Promise<void> {
    await this.#options.notify(UPLOADS_CHANNEL, event.postId);
  }

  subscribe(userId: string, options: SubscribeOptions): BusSubscription {
    return this.#local.subscribe(userId, options);
  }

  async revoke(credentialId: string): Promise<void> {
    await this.#options.notify(REVOCATIONS_CHANNEL, credentialId);
  }

  async check(): Promise<void> {}

  async #receive(postId: string) {
    if (!/^\d+$/.test(postId)) return;
    const connected = this.#local.connectedUserIds();
    for (let start = 0; start < connected.length; start += RECIPIENT_CHUNK) {
      const event = await loadUploadEvent(this.#options.db, {
        postId,
        recipientIds: connected.slice(start, start + RECIPIENT_CHUNK),
      });
      if (event) this.#local.deliver(event);
    }
  }

  async close(): Promise<void> {
    await Promise.all(this.#unlisten.map((unlisten) => unlisten()));
    await this.#local.close();
  }
}
