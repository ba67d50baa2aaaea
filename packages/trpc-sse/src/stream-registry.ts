import type { ServerResponse } from 'node:http';
import { FrameWriter, type StreamHost } from './frame-writer';
import { PING_FRAME } from './frames';

export interface PingOptions {
  enabled: boolean;
  intervalMs: number;
}

/**
 * The streams a handler has open, the one ping clock they share, and their shutdown.
 *
 * One timer serves every stream, ticking ten times per interval: a stream gets a ping once
 * ten ticks have passed without a frame, so it is never silent for longer than the
 * interval, and never pinged sooner than nine tenths of it. The timer runs only while a
 * stream is open. (The stock path keeps a timer, and a race, per stream.)
 */
export class StreamRegistry implements StreamHost {
  readonly #open = new Set<FrameWriter>();
  readonly #tickMs: number;
  readonly #ticksPerPing: number;
  #timer: NodeJS.Timeout | null = null;
  tick = 0;
  /** Set by `close()`: no stream starts after it. */
  closing = false;

  constructor(
    ping: PingOptions,
    readonly maxBufferedBytes: number,
  ) {
    const pings = ping.enabled && ping.intervalMs > 0 && ping.intervalMs < Infinity;
    this.#tickMs = pings ? Math.max(Math.floor(ping.intervalMs / 10), 1) : 0;
    this.#ticksPerPing = pings ? Math.ceil(ping.intervalMs / this.#tickMs) : 0;
  }

  get size(): number {
    return this.#open.size;
  }

  /** A writer for `res`, not open yet: `add` it once its head is written. */
  writerFor(res: ServerResponse): FrameWriter {
    return new FrameWriter(res, this);
  }

  /** Counts the stream as open (it gets pings, and `close()` ends it). */
  add(stream: FrameWriter) {
    if (stream.ended) return;
    this.#open.add(stream);
    if (this.#timer || this.#tickMs === 0) return;
    this.#timer = setInterval(() => this.#onTick(), this.#tickMs);
    this.#timer.unref();
  }

  forget(stream: FrameWriter) {
    this.#open.delete(stream);
    if (this.#timer && this.#open.size === 0) {
      clearInterval(this.#timer);
      this.#timer = null;
    }
  }

  /**
   * Ends every open stream and refuses new ones: procedures are aborted (their `finally`
   * blocks run) and responses end cleanly, without `return`, so clients reconnect to
   * whichever server answers next. Resolves when the procedures have finished, or after
   * `graceMs` for those that ignore their abort signal.
   */
  async close(graceMs: number): Promise<void> {
    this.closing = true;
    const open = [...this.#open];
    for (const stream of open) stream.end();
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.all(open.map((stream) => stream.done)),
      new Promise((resolve) => {
        timer = setTimeout(resolve, graceMs);
        timer.unref();
      }),
    ]);
    clearTimeout(timer);
  }

  #onTick() {
    this.tick += 1;
    for (const stream of this.#open) {
      if (this.tick - stream.lastWriteTick >= this.#ticksPerPing) stream.write(PING_FRAME);
    }
  }
}
