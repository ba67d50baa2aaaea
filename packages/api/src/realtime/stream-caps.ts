import { TooManyRequestsError } from '../errors';

/**
 * How many live streams (`notifications.onUpload`) one process serves at once for one
 * person and for one client address. A browser holds one per tab until it shares one
 * stream between its tabs; a person with a phone, two browsers and the CLI stays far
 * below the first cap, and one office behind one NAT address below the second. What
 * they stop is one session (or one address) opening thousands of streams, each holding
 * a socket, a context and a bus subscription.
 */
export interface StreamLimits {
  /** 0: no cap. */
  perUser: number;
  /** 0: no cap. */
  perAddress: number;
  /**
   * Addresses the per-address cap leaves alone: a reverse proxy on the same machine
   * (without TRUST_PROXY) is every client at once.
   */
  exempt: readonly string[];
}
export const STREAM_LIMITS: StreamLimits = { perUser: 32, perAddress: 256, exempt: [] };

/** Seconds a refused client is told to wait: long enough for a closed tab's stream to end. */
const RETRY_AFTER_SECONDS = 30;

export const StreamMessages = {
  perUser: (cap: number) =>
    `You have ${cap} live connections open already. Close some tabs or devices and try again.`,
  perAddress: (cap: number) =>
    `Your network has ${cap} live connections open already. Close some and try again.`,
} as const;

/** Counts the open streams of this process by person and by address. */
export class StreamCaps {
  readonly #limits: StreamLimits;
  readonly #byUser = new Map<string, number>();
  readonly #byAddress = new Map<string, number>();

  constructor(limits: Partial<StreamLimits> = {}) {
    this.#limits = { ...STREAM_LIMITS, ...limits };
  }

  /**
   * Counts one stream for `userId` at `address`, or throws `TooManyRequestsError` when
   * either is at its cap. The returned function gives the place back (once).
   */
  open(userId: string, address: string): () => void {
    const { perUser, perAddress, exempt } = this.#limits;
    const users = this.#byUser.get(userId) ?? 0;
    if (perUser > 0 && users >= perUser) {
      throw new TooManyRequestsError(StreamMessages.perUser(perUser), RETRY_AFTER_SECONDS);
    }
    const addresses = this.#byAddress.get(address) ?? 0;
    if (perAddress > 0 && addresses >= perAddress && !exempt.includes(address)) {
      throw new TooManyRequestsError(StreamMessages.perAddress(perAddress), RETRY_AFTER_SECONDS);
    }
    this.#byUser.set(userId, users + 1);
    this.#byAddress.set(address, addresses + 1);
    let open = true;
    return () => {
      if (!open) return;
      open = false;
      decrement(this.#byUser, userId);
      decrement(this.#byAddress, address);
    };
  }

  /** Open streams of one person in this process. */
  countFor(userId: string): number {
    return this.#byUser.get(userId) ?? 0;
  }

  /** How many streams each person with at least one holds, in no order (for `/metrics`). */
  perUserCounts(): number[] {
    return [...this.#byUser.values()];
  }
}

function decrement(counts: Map<string, number>, key: string): void {
  const next = (counts.get(key) ?? 1) - 1;
  if (next <= 0) counts.delete(key);
  else counts.set(key, next);
}
