import { availableParallelism } from 'node:os';
import { PostMessages } from '@photogram/contracts';
import sharp from 'sharp';
import { ServiceBusyError } from '../errors';

export interface DecodePoolOptions {
  /** Decodes at a time (`DECODE_CONCURRENCY`). */
  concurrency: number;
  /**
   * Bytes the decodes in flight may be expected to allocate together; a decode expected to
   * need more (up to `DECODE_LIMITS.decodeBytes`) runs alone.
   */
  budgetBytes: number;
  /** Decodes that may wait for a turn (`DECODE_QUEUE`); one more is refused with a 503. */
  maxQueued: number;
}

/**
 * One upload's image work per core, at most two: every decode at once adds its buffers to
 * the peak, and two (each a decode, then two encodes side by side) keep two cores busy.
 * 128 MiB together lets two streamed decodes or two 12 MP progressive JPEGs run side by
 * side, while a 24 MP progressive JPEG (~80 MB) or an AVIF waits until it can run alone:
 * decoders never hold more than max(128 MiB, one decode ≤ 256 MiB). Sixteen waiting is
 * a few seconds of 12 MP photos on two cores.
 */
export const DECODE_POOL: DecodePoolOptions = {
  concurrency: Math.max(1, Math.min(2, availableParallelism())),
  budgetBytes: 128 * 1024 * 1024,
  maxQueued: 16,
};

interface Waiter {
  cost: number;
  start(): void;
}

/**
 * Runs image decodes a few at a time, first come first served, within a byte budget: a
 * decode starts once a slot is free and what it is expected to allocate fits beside the
 * ones running. Past `maxQueued` waiting, `run` refuses with `ServiceBusyError`, so a burst
 * of uploads costs a queue of bounded length, never unbounded memory.
 *
 * Creating one turns sharp's operation cache off, for the whole process: every upload is
 * new bytes, so the cache would only keep decoded data alive, never serve it again.
 */
export class DecodePool {
  readonly options: DecodePoolOptions;
  #running = 0;
  #reservedBytes = 0;
  readonly #waiting: Waiter[] = [];
  /** A running average of how long a decode takes, for the `Retry-After` of a refusal. */
  #averageMs = 400;

  constructor(options: Partial<DecodePoolOptions> = {}) {
    this.options = { ...DECODE_POOL, ...options };
    sharp.cache(false);
  }

  /** Runs `work` when its turn comes; `costBytes` is what `decodeBudget` estimated. */
  async run<T>(costBytes: number, work: () => Promise<T>): Promise<T> {
    // A decode larger than the whole budget runs alone rather than never.
    const cost = Math.min(costBytes, this.options.budgetBytes);
    if (this.#waiting.length > 0 || !this.#fits(cost)) {
      if (this.#waiting.length >= this.options.maxQueued) {
        const seconds = this.retryAfterSeconds();
        throw new ServiceBusyError(PostMessages.serverBusy(seconds), seconds);
      }
      await new Promise<void>((start) => this.#waiting.push({ cost, start }));
    } else {
      this.#take(cost);
    }
    const started = performance.now();
    try {
      return await work();
    } finally {
      this.#averageMs = 0.8 * this.#averageMs + 0.2 * (performance.now() - started);
      this.#running -= 1;
      this.#reservedBytes -= cost;
      this.#startWaiting();
    }
  }

  /** How long a refused caller should wait: the queue ahead of it, worked off by every slot. */
  retryAfterSeconds(): number {
    const ms = ((this.#waiting.length + 1) * this.#averageMs) / this.options.concurrency;
    return Math.min(60, Math.max(1, Math.ceil(ms / 1000)));
  }

  /** Decodes running and waiting now, and the bytes the running ones reserved. */
  get load() {
    return {
      running: this.#running,
      waiting: this.#waiting.length,
      reservedBytes: this.#reservedBytes,
    };
  }

  #fits(cost: number): boolean {
    if (this.#running >= this.options.concurrency) return false;
    return this.#running === 0 || this.#reservedBytes + cost <= this.options.budgetBytes;
  }

  #take(cost: number) {
    this.#running += 1;
    this.#reservedBytes += cost;
  }

  #startWaiting() {
    // In order: a large decode at the head is not overtaken forever by small ones behind it.
    for (let next = this.#waiting[0]; next && this.#fits(next.cost); next = this.#waiting[0]) {
      this.#waiting.shift();
      this.#take(next.cost);
      next.start();
    }
  }
}
