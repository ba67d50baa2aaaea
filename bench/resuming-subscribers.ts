import { Agent, type ClientRequest, request } from 'node:http';
import { createSseParser } from './subscribers';

/**
 * What a subscriber does when its stream drops: `retry` waits the `retry:` its last
 * stream sent, as EventSource does (and again after each refused attempt); `herd` waits
 * for `ResumingSubscriberSet.release()` and then reconnects at once, ignoring it.
 */
export type ReconnectPolicy = 'retry' | 'herd';

/** EventSource's reconnection time when a stream never sent `retry:` (Chrome's, 3 s). */
const DEFAULT_RETRY_MS = 3_000;

// No keep-alive pool: every subscriber is its own connection, as every browser tab is.
const agent = new Agent({ keepAlive: false, maxSockets: Number.POSITIVE_INFINITY });

/**
 * One client of `notifications.onUpload` that reconnects like EventSource: the same URL,
 * with the id of the last event it received as `Last-Event-ID`. A bare `node:http` GET
 * (10,000 EventSource instances would make the bench the bottleneck).
 */
export class ResumingSubscriber {
  /** The id of the last data event, sent as `Last-Event-ID` on reconnect. */
  lastEventId: string | null = null;
  /** The last `retry:` a stream sent. */
  retryMs: number | null = null;
  /** Every data event's id, in arrival order, across all connections. */
  readonly ids: number[] = [];
  /** Set while a stream is open or being opened. */
  #request: ClientRequest | null = null;
  #closed = false;

  // —— the current storm (see `ResumingSubscriberSet.prepare`) ——
  /** Data events this subscriber must get on its next connection before it counts as live. */
  expect = 0;
  /** Connection attempts, and those refused or failed, since `prepare`. */
  attempts = 0;
  failedAttempts = 0;
  refused = 0;
  /** When the `connected` event, and then the last expected event, arrived. */
  connectedAt: bigint | null = null;
  liveAt: bigint | null = null;
  /** Data events on the current connection. */
  eventsOnConnection = 0;
  /** Why the last stream ended or failed. */
  lastDrop: string | null = null;

  constructor(
    private readonly set: ResumingSubscriberSet,
    private readonly headers: Record<string, string>,
  ) {}

  /** Opens a stream now. */
  connect() {
    if (this.#closed) return;
    this.attempts += 1;
    this.eventsOnConnection = 0;
    const headers: Record<string, string> = { accept: 'text/event-stream', ...this.headers };
    if (this.lastEventId !== null) headers['last-event-id'] = this.lastEventId;
    const req = request(this.set.url, { agent, headers });
    this.#request = req;
    let chunkAt = 0n;
    let connected = false;
    const parse = createSseParser(
      (type, _data, id) => {
        if (type === 'connected') {
          connected = true;
          this.connectedAt = chunkAt;
          this.#checkLive(chunkAt);
        } else if (type === 'message') {
          if (id !== null) {
            this.lastEventId = id;
            this.ids.push(Number(id));
          }
          this.eventsOnConnection += 1;
          this.set.events += 1;
          this.#checkLive(chunkAt);
        } else if (type === 'serialized-error' || type === 'return') {
          // Not something a storm should cause: the client would stop for good.
          this.set.stopped += 1;
          this.close();
        }
      },
      (ms) => {
        this.retryMs = ms;
      },
    );
    const drop = (reason: string) => {
      if (this.#request !== req) return;
      this.#request = null;
      this.lastDrop = reason;
      if (!connected) {
        this.failedAttempts += 1;
        if (reason === 'ECONNREFUSED') this.refused += 1;
        this.set.failures[reason] = (this.set.failures[reason] ?? 0) + 1;
      }
      this.set.scheduleReconnect(this);
    };
    req.on('response', (response) => {
      response.setEncoding('utf8');
      if (response.statusCode !== 200) {
        response.resume();
        drop(`HTTP ${response.statusCode}`);
        req.destroy();
        return;
      }
      response.on('data', (chunk: string) => {
        // Taken before parsing: the receipt time is when the bytes reached us.
        chunkAt = process.hrtime.bigint();
        parse(chunk);
      });
      response.on('end', () => drop('the stream ended'));
      response.on('error', (error: NodeJS.ErrnoException) => drop(error.code ?? error.message));
      response.on('close', () => drop('the connection closed'));
    });
    req.on('error', (error: NodeJS.ErrnoException) => drop(error.code ?? error.message));
    req.end();
  }

  /** The delay EventSource would wait before reconnecting. */
  get reconnectDelayMs() {
    return this.retryMs ?? DEFAULT_RETRY_MS;
  }

  get live() {
    return this.liveAt !== null;
  }

  #checkLive(at: bigint) {
    if (this.liveAt !== null || this.connectedAt === null) return;
    if (this.eventsOnConnection < this.expect) return;
    this.liveAt = at;
    this.set.live += 1;
  }

  /** Forgets the last storm; `expect` is what the next connection must replay. */
  prepare(expect: number) {
    this.expect = expect;
    this.attempts = 0;
    this.failedAttempts = 0;
    this.refused = 0;
    this.connectedAt = null;
    this.liveAt = null;
    this.lastDrop = null;
  }

  close() {
    this.#closed = true;
    const req = this.#request;
    this.#request = null;
    req?.destroy();
  }
}

/** N resuming subscribers, their reconnect policy, and counters over all of them. */
export class ResumingSubscriberSet {
  readonly all: ResumingSubscriber[] = [];
  policy: ReconnectPolicy = 'retry';
  /** Subscribers live since the last `prepare`. */
  live = 0;
  /** Data events over all subscribers and connections. */
  events = 0;
  /** Subscribers that got `serialized-error` or `return` and stopped. */
  stopped = 0;
  /** Failed connection attempts since the last `prepare`, by reason. */
  failures: Record<string, number> = {};
  #released = true;
  #waiting: ResumingSubscriber[] = [];

  constructor(readonly url: string) {}

  /**
   * Opens one subscriber per header set, `batchSize` at a time, each batch live before
   * the next starts (the storm is measured later; this is only getting there).
   */
  async connectInBatches(
    headerSets: ReadonlyArray<Record<string, string>>,
    { batchSize = 500, timeoutMs = 60_000 } = {},
  ) {
    this.prepare('retry', () => 0);
    for (let start = 0; start < headerSets.length; start += batchSize) {
      for (const headers of headerSets.slice(start, start + batchSize)) {
        const subscriber = new ResumingSubscriber(this, headers);
        this.all.push(subscriber);
        subscriber.connect();
      }
      if (!(await this.waitUntil(() => this.live === this.all.length, timeoutMs))) {
        throw new Error(
          `${this.all.length - this.live} of ${this.all.length} streams did not connect`,
        );
      }
    }
  }

  /**
   * Before a restart: how the subscribers will reconnect, and how many data events each
   * must get on its next connection (`expect(index)`) to count as live again.
   */
  prepare(policy: ReconnectPolicy, expect: (index: number) => number) {
    this.policy = policy;
    this.live = 0;
    this.failures = {};
    this.#released = policy === 'retry';
    this.#waiting = [];
    for (const [index, subscriber] of this.all.entries()) subscriber.prepare(expect(index));
  }

  /** Called by a subscriber whose stream dropped or could not be opened. */
  scheduleReconnect(subscriber: ResumingSubscriber) {
    if (this.policy === 'herd') {
      if (this.#released) setImmediate(() => subscriber.connect());
      else this.#waiting.push(subscriber);
      return;
    }
    setTimeout(() => subscriber.connect(), subscriber.reconnectDelayMs);
  }

  /** `herd`: every dropped subscriber reconnects now, in one go. */
  release() {
    this.#released = true;
    const waiting = this.#waiting;
    this.#waiting = [];
    for (const subscriber of waiting) subscriber.connect();
    return waiting.length;
  }

  /** Subscribers whose stream has dropped (and, for `herd`, wait for `release`). */
  get waiting() {
    return this.#waiting.length;
  }

  async waitUntil(done: () => boolean, timeoutMs: number) {
    const deadline = Date.now() + timeoutMs;
    while (!done()) {
      if (Date.now() > deadline) return false;
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    return true;
  }

  closeAll() {
    for (const subscriber of this.all) subscriber.close();
  }
}
