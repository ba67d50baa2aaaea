import { Agent, type ClientRequest, request } from 'node:http';

/**
 * One SSE stream as the bench sees it: a bare `node:http` GET (an EventSource library
 * per connection would make the bench, not the server, the bottleneck at 10,000) and
 * the time its first data event arrived.
 */
export interface Subscriber {
  /** Resolves once the `connected` event arrived; rejects if the stream failed first. */
  readonly connected: Promise<void>;
  /** When the chunk holding the first data (non-`connected`) event arrived. */
  receivedAt: bigint | null;
  /** When the chunk holding each data event arrived, in order. */
  receipts: bigint[];
  /** Data events received so far. */
  events: number;
  /** That event's `data:` and `id:`. */
  data: string | null;
  eventId: string | null;
  failure: string | null;
  close(): void;
}

type EventHandler = (type: string, data: string, id: string | null) => void;

/**
 * A minimal SSE parser (the WHATWG rules that tRPC's frames use): `field: value` lines,
 * comments, and a blank line dispatching the event if it had data (a block with only
 * `retry:` or `id:` dispatches nothing, as in EventSource). Chunks may split anywhere.
 * `onRetry` gets each valid `retry:` (milliseconds).
 */
export function createSseParser(onEvent: EventHandler, onRetry?: (ms: number) => void) {
  let pending = '';
  let type = '';
  let data: string[] = [];
  let id: string | null = null;
  return (chunk: string) => {
    pending += chunk;
    let start = 0;
    for (let end = pending.indexOf('\n'); end !== -1; end = pending.indexOf('\n', start)) {
      let line = pending.slice(start, end);
      start = end + 1;
      if (line.endsWith('\r')) line = line.slice(0, -1);
      if (line === '') {
        if (data.length > 0) onEvent(type || 'message', data.join('\n'), id);
        type = '';
        data = [];
        id = null;
        continue;
      }
      if (line.startsWith(':')) continue;
      const colon = line.indexOf(':');
      const field = colon === -1 ? line : line.slice(0, colon);
      let value = colon === -1 ? '' : line.slice(colon + 1);
      if (value.startsWith(' ')) value = value.slice(1);
      if (field === 'event') type = value;
      else if (field === 'data') data.push(value);
      else if (field === 'id') id = value;
      else if (field === 'retry' && /^\d+$/.test(value)) onRetry?.(Number(value));
    }
    pending = pending.slice(start);
  };
}

// No keep-alive pool: every subscriber is its own connection, as every browser tab is.
const agent = new Agent({ keepAlive: false, maxSockets: Number.POSITIVE_INFINITY });

export function openSubscriber(
  url: string,
  headers: Record<string, string>,
  onData: (subscriber: Subscriber) => void,
): Subscriber {
  let resolveConnected: () => void = () => {};
  let rejectConnected: (error: Error) => void = () => {};
  const connected = new Promise<void>((resolve, reject) => {
    resolveConnected = resolve;
    rejectConnected = reject;
  });
  // Callers may never await it (a failure is also recorded in `failure`).
  connected.catch(() => {});
  let closing = false;
  let req: ClientRequest;

  const subscriber: Subscriber = {
    connected,
    receivedAt: null,
    receipts: [],
    events: 0,
    data: null,
    eventId: null,
    failure: null,
    close() {
      closing = true;
      req.destroy();
    },
  };
  const fail = (message: string) => {
    if (closing || subscriber.failure) return;
    subscriber.failure = message;
    rejectConnected(new Error(message));
  };

  let chunkAt = 0n;
  const parse = createSseParser((type, data, id) => {
    if (type === 'connected') resolveConnected();
    else if (type === 'serialized-error') fail(`serialized-error: ${data}`);
    else if (type === 'return') fail('the server ended the stream');
    else if (type === 'message') {
      subscriber.events += 1;
      subscriber.receipts.push(chunkAt);
      if (subscriber.receivedAt === null) {
        subscriber.receivedAt = chunkAt;
        subscriber.data = data;
        subscriber.eventId = id;
      }
      onData(subscriber);
    }
  });

  req = request(url, { agent, headers: { accept: 'text/event-stream', ...headers } });
  req.on('response', (response) => {
    response.setEncoding('utf8');
    if (response.statusCode !== 200) {
      let body = '';
      response.on('data', (chunk: string) => {
        body += chunk;
      });
      response.on('end', () => fail(`HTTP ${response.statusCode}: ${body.slice(0, 200)}`));
      return;
    }
    response.on('data', (chunk: string) => {
      // Taken before parsing: the receipt time is when the bytes reached us.
      chunkAt = process.hrtime.bigint();
      parse(chunk);
    });
    response.on('end', () => fail('the stream ended'));
  });
  req.on('error', (error) => fail(error.message));
  req.end();
  return subscriber;
}

/** Streams, with their data events counted as they arrive. */
export class SubscriberSet {
  readonly all: Subscriber[] = [];
  /** Streams that have had at least one data event. */
  received = 0;
  /** Data events over all streams. */
  events = 0;

  open(url: string, headers: Record<string, string>) {
    const subscriber = openSubscriber(url, headers, (stream) => {
      this.events += 1;
      if (stream.events === 1) this.received += 1;
    });
    this.all.push(subscriber);
    return subscriber;
  }

  /**
   * Opens one stream per header set, `batchSize` at a time, each batch fully connected
   * before the next starts (10,000 simultaneous handshakes would measure the accept
   * queue, not steady-state serving). Returns how many failed.
   */
  async connectInBatches(
    url: string,
    headerSets: Array<Record<string, string>>,
    { batchSize = 500, batchTimeoutMs = 60_000 } = {},
  ) {
    let failed = 0;
    for (let start = 0; start < headerSets.length; start += batchSize) {
      const batch = headerSets
        .slice(start, start + batchSize)
        .map((headers) => this.open(url, headers));
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<'timeout'>((resolve) => {
        timer = setTimeout(() => resolve('timeout'), batchTimeoutMs);
      });
      const results = await Promise.all(
        batch.map((subscriber) =>
          Promise.race([subscriber.connected.then(() => 'ok' as const), timeout]).catch(
            () => 'failed' as const,
          ),
        ),
      );
      clearTimeout(timer);
      failed += results.filter((result) => result !== 'ok').length;
    }
    return failed;
  }

  /** Waits until `count` streams have had a data event; false on timeout. */
  waitForData(count: number, timeoutMs: number) {
    return this.#until(() => this.received >= count, timeoutMs);
  }

  /** Waits until `count` data events have arrived over all streams; false on timeout. */
  waitForEvents(count: number, timeoutMs: number) {
    return this.#until(() => this.events >= count, timeoutMs);
  }

  async #until(done: () => boolean, timeoutMs: number) {
    const deadline = Date.now() + timeoutMs;
    while (!done()) {
      if (Date.now() > deadline) return false;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    return true;
  }

  /** Resets the counters so the same streams can be measured again. */
  closeAll() {
    for (const subscriber of this.all) subscriber.close();
    this.all.length = 0;
    this.received = 0;
    this.events = 0;
  }
}
