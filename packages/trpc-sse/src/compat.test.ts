import { type TRPC_ERROR_CODE_KEY, TRPC_ERROR_CODES_BY_KEY } from '@trpc/server/rpc';
import { retryableRpcCodes } from '@trpc/server/unstable-core-do-not-import';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { clientError, createClient, record, type ToyClient } from './testing/client';
import {
  BASE_MS,
  ERROR_CODES,
  FORMATTER_MARK,
  MAX_DURATION_MS,
  PING_INTERVAL_MS,
  type Prefix,
  probe,
  RECONNECT_AFTER_INACTIVITY_MS,
} from './testing/router';
import {
  type ServerError,
  startServer,
  startSSEServer,
  type TestServer,
  type Transport,
} from './testing/servers';
import {
  fetchRaw,
  frameData,
  parseFrames,
  stalledRequest,
  subscriptionUrl,
  trackedIds,
  until,
} from './testing/wire';

const TRANSPORTS: Transport[] = ['stock', 'trpc-sse'];

// Each transport's server starts on first use, so the stock half runs even if the other can't start.
const started = new Map<Transport, Promise<TestServer>>();
function serverFor(transport: Transport): Promise<TestServer> {
  let server = started.get(transport);
  if (!server) {
    server = startServer(transport);
    started.set(transport, server);
  }
  return server;
}
afterAll(async () => {
  await Promise.allSettled([...started.values()].map(async (server) => (await server).close()));
});

let keys = 0;
/** A key no other test uses, to find a procedure's probe and its `onError` calls. */
const uniqueKey = (label: string) => `${label}-${++keys}`;

/** The codes the client retries on (by JSON-RPC number, so NOT_IMPLEMENTED too: it shares -32603). */
const isRetryable = (code: TRPC_ERROR_CODE_KEY) =>
  retryableRpcCodes.includes(TRPC_ERROR_CODES_BY_KEY[code]);
const RETRYABLE = ERROR_CODES.filter(isRetryable);
const NON_RETRYABLE = ERROR_CODES.filter((code) => !isRetryable(code));

const BURST_CHUNK_BYTES = 16 * 1024;
const counterValue = (i: number) => ({ id: String(i), data: { i, at: new Date(BASE_MS + i) } });
const hasKey = (key: string) => (e: ServerError) =>
  typeof e.input === 'object' && e.input !== null && 'key' in e.input && e.input.key === key;

describe.each(TRANSPORTS)('%s', (transport) => {
  let server: TestServer;
  let client: ToyClient;
  beforeAll(async () => {
    server = await serverFor(transport);
    client = createClient(server.origin);
  });

  test('tracked values arrive in order with their ids and Dates come back as Date', async () => {
    const sub = record((cb) => client.counter.subscribe({ to: 3 }, cb));
    await until(sub.completed, 'the counter to complete');

    expect(sub.error()).toBeUndefined();
    expect(sub.data()).toEqual([1, 2, 3].map(counterValue));
    for (const value of sub.data()) {
      expect((value as { data: { at: unknown } }).data.at).toBeInstanceOf(Date);
    }
  });

  test('untracked values arrive as plain data, in order', async () => {
    const sub = record((cb) => client.untracked.subscribe(undefined, cb));
    await until(sub.completed, 'the untracked subscription to complete');

    expect(sub.error()).toBeUndefined();
    expect(sub.data()).toEqual([
      { n: 1, at: new Date(BASE_MS + 1) },
      { n: 2, at: new Date(BASE_MS + 2) },
      'three',
    ]);
  });

  test('values of a subscription that returns an observable arrive in order', async () => {
    const sub = record((cb) => client.observed.subscribe(undefined, cb));
    await until(sub.completed, 'the observable subscription to complete');

    expect(sub.error()).toBeUndefined();
    expect(sub.data()).toEqual([
      { n: 1, at: new Date(BASE_MS + 1) },
      { n: 2, at: new Date(BASE_MS + 2) },
    ]);
  });

  test('a 1 MiB burst, four times the default buffer limit, reaches a client that keeps reading', async () => {
    const count = 64;
    const res = await fetchRaw(
      subscriptionUrl(server.origin, 'burst', { count, size: BURST_CHUNK_BYTES }),
    );
    const frames = parseFrames(res.body);

    expect(frames.filter((f) => f.event === undefined)).toHaveLength(count);
    expect(frames.at(-1)?.event).toBe('return');
  });

  test('resubscribing with the last received id in the input resumes after it', async () => {
    const first = record((cb) => client.counter.subscribe({ to: 5 }, cb));
    await until(() => first.data().length >= 2, 'two values');
    first.unsubscribe();
    const { id } = first.data()[1] as { id: string };
    expect(id).toBe('2');

    const second = record((cb) => client.counter.subscribe({ to: 5, lastEventId: id }, cb));
    await until(second.completed, 'the resumed counter to complete');

    expect(second.data()).toEqual([3, 4, 5].map(counterValue));
  });

  test('the Last-Event-ID header is merged into the input as lastEventId', async () => {
    const res = await fetchRaw(subscriptionUrl(server.origin, 'counter', { to: 4 }), {
      'Last-Event-ID': '2',
    });
    const frames = parseFrames(res.body);

    expect(trackedIds(frames)).toEqual(['3', '4']);
    expect(frameData(frames.find((f) => f.id === '3'))).toEqual(counterValue(3).data);
    expect(frames.at(-1)?.event).toBe('return');
  });

  test('the lastEventId and Last-Event-Id query parameters are merged into the input', async () => {
    for (const param of ['lastEventId', 'Last-Event-Id']) {
      const res = await fetchRaw(
        subscriptionUrl(server.origin, 'counter', { to: 4 }, { [param]: '2' }),
      );
      expect(trackedIds(parseFrames(res.body)), param).toEqual(['3', '4']);
    }
  });

  test('the Last-Event-ID header overrides a lastEventId already in the input', async () => {
    const res = await fetchRaw(
      subscriptionUrl(server.origin, 'counter', { to: 4, lastEventId: '1' }),
      { 'Last-Event-ID': '3' },
    );

    expect(trackedIds(parseFrames(res.body))).toEqual(['4']);
  });

  test.each(NON_RETRYABLE)(
    '%s thrown before the first yield reaches onError with its code and the formatter data',
    async (code) => {
      const sub = record((cb) => client.fails.subscribe({ code }, cb));
      await until(() => sub.error() !== undefined, 'onError');

      expect(clientError(sub.error())).toEqual({
        code,
        mark: FORMATTER_MARK,
        message: `failed with ${code}`,
        httpStatus: expect.any(Number),
      });
      expect(sub.data()).toEqual([]);
    },
  );

  test.each(RETRYABLE)(
    '%s thrown by a subscription is a connecting state carrying the error, not onError',
    async (code) => {
      const sub = record((cb) => client.fails.subscribe({ code }, cb));
      await until(() => sub.connectingErrors().length > 0, 'a connecting state with an error');
      sub.unsubscribe();

      expect(clientError(sub.connectingErrors()[0])).toMatchObject({
        code,
        mark: FORMATTER_MARK,
        message: `failed with ${code}`,
      });
      expect(sub.error()).toBeUndefined();
    },
  );

  test('an error thrown after a yield arrives after the yielded value', async () => {
    const sub = record((cb) =>
      client.fails.subscribe({ code: 'FORBIDDEN', afterOneYield: true }, cb),
    );
    await until(() => sub.error() !== undefined, 'onError');

    expect(sub.data()).toEqual(['before the failure']);
    expect(clientError(sub.error())).toMatchObject({ code: 'FORBIDDEN', mark: FORMATTER_MARK });
  });

  test('a retryable error thrown after a yield arrives after the yielded value as a connecting state', async () => {
    const sub = record((cb) =>
      client.fails.subscribe({ code: 'SERVICE_UNAVAILABLE', afterOneYield: true }, cb),
    );
    await until(() => sub.connectingErrors().length > 0, 'a connecting state with an error');
    sub.unsubscribe();

    expect(sub.data()).toEqual(['before the failure']);
    expect(clientError(sub.connectingErrors()[0])).toMatchObject({ code: 'SERVICE_UNAVAILABLE' });
    expect(sub.error()).toBeUndefined();
  });

  test('a subscription that returns ends with onStopped and then onComplete', async () => {
    const sub = record((cb) => client.counter.subscribe({ to: 2 }, cb));
    await until(sub.completed, 'onComplete');

    expect(sub.events.filter((e) => e.kind !== 'state').map((e) => e.kind)).toEqual([
      'started',
      'data',
      'data',
      'stopped',
      'complete',
    ]);
  });

  test("unsubscribing aborts the generator's signal and runs its finally block", async () => {
    const key = uniqueKey('abort');
    const sub = record((cb) => client.waitsForAbort.subscribe({ key }, cb));
    await until(() => sub.data().length === 1, 'the first value');
    expect(probe(key)).toEqual({ opened: 1, aborted: 0, finalized: 0 });

    sub.unsubscribe();
    await until(() => probe(key).finalized === 1, 'the finally block to run');

    expect(probe(key)).toEqual({ opened: 1, aborted: 1, finalized: 1 });
  });

  test('pings keep a silent connection open past reconnectAfterInactivityMs', async () => {
    let pings = 0;
    const pinged = createClient(server.origin, { onPing: () => pings++ });
    const key = uniqueKey('ping');
    const sub = record((cb) => pinged.silent.subscribe({ key }, cb));
    // enough pings to span one and a half inactivity windows
    const needed = Math.ceil((1.5 * RECONNECT_AFTER_INACTIVITY_MS) / PING_INTERVAL_MS);
    await until(() => pings >= needed, `${needed} pings`);

    expect(probe(key).opened).toBe(1);
    expect(sub.connectingErrors()).toEqual([]);
    expect(sub.events.findLast((e) => e.kind === 'state')).toMatchObject({ state: 'pending' });

    sub.unsubscribe();
    await until(() => probe(key).finalized === 1, 'the finally block to run');
  });

  test('without pings the client times out after reconnectAfterInactivityMs and reconnects', async () => {
    const quiet = createClient(server.origin, { prefix: '/quiet/' });
    const key = uniqueKey('quiet');
    const sub = record((cb) => quiet.silent.subscribe({ key }, cb));
    await until(() => probe(key).opened >= 2, 'a second connection');

    expect(sub.connectingErrors().map((e) => clientError(e).message)).toContain(
      `Timeout of ${RECONNECT_AFTER_INACTIVITY_MS}ms reached while waiting for a response`,
    );

    sub.unsubscribe();
    await until(
      () => probe(key).finalized === probe(key).opened,
      'every connection to run its finally block',
    );
  });

  test('input that fails the zod schema is a BAD_REQUEST carrying the zod message', async () => {
    const sub = record((cb) => client.counter.subscribe({ to: -1 }, cb));
    await until(() => sub.error() !== undefined, 'onError');

    const error = clientError(sub.error());
    expect(error).toMatchObject({ code: 'BAD_REQUEST', mark: FORMATTER_MARK });
    expect(error.message).toContain('to must not be negative');
  });

  test('malformed JSON in ?input= is a BAD_REQUEST serialized-error on the event stream', async () => {
    const res = await fetchRaw(`${server.origin}/trpc/counter?input=%7Bnot-json`);
    const frames = parseFrames(res.body);

    expect(res.status).toBe(200);
    expect(res.contentType).toBe('text/event-stream');
    expect(frames.map((f) => f.event)).toEqual(['connected', 'serialized-error']);
    expect(frameData(frames[1])).toMatchObject({
      code: TRPC_ERROR_CODES_BY_KEY.BAD_REQUEST,
      message: expect.stringContaining('JSON'),
      data: { code: 'BAD_REQUEST', mark: FORMATTER_MARK, path: 'counter' },
    });
  });

  test('a protected subscription is UNAUTHORIZED without credentials and streams the user with them', async () => {
    const anonymous = record((cb) => client.secret.subscribe(undefined, cb));
    await until(() => anonymous.error() !== undefined, 'onError');
    expect(clientError(anonymous.error())).toMatchObject({
      code: 'UNAUTHORIZED',
      message: 'sign in first',
      mark: FORMATTER_MARK,
    });

    const authed = createClient(server.origin, { token: 'good' });
    const signedIn = record((cb) => authed.secret.subscribe(undefined, cb));
    await until(signedIn.completed, 'the protected subscription to complete');
    expect(signedIn.error()).toBeUndefined();
    expect(signedIn.data()).toEqual([{ id: '1', data: { userId: 'user-1' } }]);
  });

  test('connectionParams reach createContext through info', async () => {
    const withParams = createClient(server.origin, { connectionParams: { token: 'good' } });
    const sub = record((cb) => withParams.secret.subscribe(undefined, cb));
    await until(sub.completed, 'the protected subscription to complete');

    expect(sub.error()).toBeUndefined();
    expect(sub.data()).toEqual([{ id: '1', data: { userId: 'user-1' } }]);
  });

  test('queries next to the subscriptions are still answered, with the same context', async () => {
    expect(await client.whoami.query()).toBeNull();
    expect(await createClient(server.origin, { token: 'good' }).whoami.query()).toBe('user-1');
  });

  test('the onError option gets the error, path, raw input and type of a failing subscription', async () => {
    const key = uniqueKey('onError');
    const sub = record((cb) => client.fails.subscribe({ code: 'CONFLICT', key }, cb));
    await until(() => sub.error() !== undefined, 'the client to see the error');
    await until(() => server.errors.some(hasKey(key)), 'onError');

    expect(server.errors.filter(hasKey(key))).toEqual([
      {
        code: 'CONFLICT',
        message: 'failed with CONFLICT',
        path: 'fails',
        input: { code: 'CONFLICT', key },
        type: 'subscription',
      },
    ]);
  });

  test('the onError option gets the BAD_REQUEST of input that fails validation', async () => {
    const to = -1_000_000 - keys++;
    const sub = record((cb) => client.counter.subscribe({ to }, cb));
    await until(() => sub.error() !== undefined, 'the client to see the error');
    const mine = (e: ServerError) =>
      typeof e.input === 'object' && e.input !== null && 'to' in e.input && e.input.to === to;
    await until(() => server.errors.some(mine), 'onError');

    expect(server.errors.find(mine)).toMatchObject({
      code: 'BAD_REQUEST',
      message: expect.stringContaining('to must not be negative'),
      path: 'counter',
      input: { to },
      type: 'subscription',
    });
  });
});

/** Requests whose whole response is deterministic: every stream among them ends by itself. */
interface WireCase {
  path: string;
  input?: unknown;
  headers?: Record<string, string>;
  /** Replaces the whole query string. */
  rawQuery?: string;
  /** Added to the query string. */
  query?: Record<string, string>;
  /** The router variant; `/trpc/` by default. */
  prefix?: Prefix;
}
const WIRE_CASES: [string, WireCase][] = [
  ['counter to completion', { path: 'counter', input: { to: 3 } }],
  [
    'counter resumed by Last-Event-ID',
    { path: 'counter', input: { to: 4 }, headers: { 'Last-Event-ID': '2' } },
  ],
  [
    'counter resumed by ?lastEventId=',
    { path: 'counter', input: { to: 4 }, query: { lastEventId: '2' } },
  ],
  ['untracked values', { path: 'untracked' }],
  [
    'untracked values after a Last-Event-ID (restore-id frames)',
    { path: 'untracked', headers: { 'Last-Event-ID': '7' } },
  ],
  [
    'untracked values after a lastEventId an id field cannot carry',
    { path: 'untracked', query: { lastEventId: 'a\nb' } },
  ],
  ['observable subscription', { path: 'observed' }],
  ['values sharing one SharedPayload, one changed after attach', { path: 'shared' }],
  ['1 MiB burst', { path: 'burst', input: { count: 64, size: BURST_CHUNK_BYTES } }],
  ...ERROR_CODES.flatMap((code): [string, WireCase][] => [
    [`${code} before the first yield`, { path: 'fails', input: { code } }],
    [`${code} after one yield`, { path: 'fails', input: { code, afterOneYield: true } }],
  ]),
  ['input failing the zod schema', { path: 'counter', input: { to: -1 } }],
  ['malformed JSON in ?input=', { path: 'counter', rawQuery: 'input=%7Bnot-json' }],
  ['unknown path nope.nope', { path: 'nope.nope', input: { to: 1 } }],
  ['protected without credentials', { path: 'secret' }],
  ['protected with credentials', { path: 'secret', headers: { authorization: 'Bearer good' } }],
  [
    'protected with credentials in connectionParams',
    { path: 'secret', query: { connectionParams: JSON.stringify({ token: 'good' }) } },
  ],
  ['malformed connectionParams', { path: 'secret', query: { connectionParams: '{nope' } }],
  [
    'createContext throwing',
    { path: 'counter', input: { to: 1 }, headers: { authorization: 'Bearer boom' } },
  ],
  [
    `sse.maxDurationMs (${MAX_DURATION_MS} ms) ending a silent stream`,
    { prefix: '/limited/', path: 'silent', input: { key: 'wire-limited' } },
  ],
  ['sse.enabled: false', { prefix: '/disabled/', path: 'counter', input: { to: 1 } }],
];

describe('wire identity', () => {
  const servers = new Map<Transport, TestServer>();
  beforeAll(async () => {
    for (const transport of TRANSPORTS) servers.set(transport, await serverFor(transport));
  });

  test.each(WIRE_CASES)(
    '%s: status, content-type, cache-control and body are byte-identical on both transports',
    async (_name, { path, input, headers, rawQuery, query, prefix = '/trpc/' }) => {
      const responses = await Promise.all(
        TRANSPORTS.map((transport) => {
          const origin = servers.get(transport)?.origin ?? '';
          const url = rawQuery
            ? `${origin}${prefix}${path}?${rawQuery}`
            : subscriptionUrl(origin, path, input, query, prefix);
          return fetchRaw(url, headers);
        }),
      );
      const [stock, sse] = responses;

      expect(stock?.body).not.toBe('');
      expect(sse).toEqual(stock);
    },
  );
});

describe('trpc-sse only', () => {
  test('close() ends open streams without a return event, runs finally blocks and starts no new stream', async () => {
    const server = await startSSEServer({ noFallback: true });
    try {
      const sse = server.sse;
      if (!sse) throw new Error('the trpc-sse server has no handler');
      const client = createClient(server.origin);
      const viaClient = uniqueKey('close-client');
      const viaFetch = uniqueKey('close-fetch');
      const sub = record((cb) => client.waitsForAbort.subscribe({ key: viaClient }, cb));
      await until(() => sub.data().length === 1, 'the first value');
      const raw = await fetch(subscriptionUrl(server.origin, 'silent', { key: viaFetch }), {
        signal: AbortSignal.timeout(5_000),
      });
      const rawBody = raw.text();
      await until(() => probe(viaFetch).opened === 1, 'the silent stream to open');
      expect(sse.openStreams).toBe(2);

      await sse.close();
      await until(
        () => probe(viaClient).finalized === 1 && probe(viaFetch).finalized === 1,
        'both finally blocks to run',
      );

      // the raw stream ends, after nothing but `connected`: no `return`, so a client would reconnect
      expect(parseFrames(await rawBody).map((f) => f.event)).toEqual(['connected']);
      // the client sees the connection drop and is reconnecting, not completed
      await until(
        () => sub.events.some((e) => e.kind === 'state' && e.state === 'connecting' && e.error),
        'the client to see the connection end',
      );
      expect(sub.events.map((e) => e.kind)).not.toContain('stopped');
      expect(sub.completed()).toBe(false);
      expect(sub.error()).toBeUndefined();
      sub.unsubscribe();
      expect(sse.openStreams).toBe(0);

      const refused = uniqueKey('close-refused');
      await fetchRaw(subscriptionUrl(server.origin, 'silent', { key: refused }));
      expect(probe(refused).opened).toBe(0);
      expect(sse.openStreams).toBe(0);
    } finally {
      await server.close();
    }
  });

  test('reconnectDelayMs is sent to each new stream as an SSE retry field before connected', async () => {
    let delay = 1_000;
    const server = await startSSEServer({ reconnectDelayMs: () => (delay += 7) });
    try {
      const bodies = await Promise.all(
        ['retry-a', 'retry-b'].map(async (name) => {
          const response = await fetch(
            subscriptionUrl(server.origin, 'silent', { key: uniqueKey(name) }),
            { signal: AbortSignal.timeout(5_000) },
          );
          const reader = response.body?.pipeThrough(new TextDecoderStream()).getReader();
          let text = '';
          while (reader && !text.includes('event: connected')) {
            const { value, done } = await reader.read();
            if (done) break;
            text += value;
          }
          await reader?.cancel();
          return text;
        }),
      );
      expect(
        bodies.map((body) => body.match(/^retry: (\d+)\n\nevent: connected\n/)?.[1]).sort(),
      ).toEqual(['1007', '1014']);
    } finally {
      await server.close();
    }
  });

  test('a client that stops reading is disconnected once maxBufferedBytes is exceeded and the generator finishes', async () => {
    const maxBufferedBytes = 64 * 1024;
    const server = await startSSEServer({ maxBufferedBytes });
    let stalled: ReturnType<typeof stalledRequest> | undefined;
    try {
      const key = uniqueKey('stalled');
      stalled = stalledRequest(
        subscriptionUrl(server.origin, 'firehose', { key, size: 16 * 1024 }),
      );
      await until(() => probe(key).finalized === 1, "the firehose's finally block");
      expect(server.sse?.openStreams).toBe(0);

      // resumed, the socket gets what was buffered, then the end of a connection the server closed
      const received = await stalled.drain();
      expect(received).toMatch(/^HTTP\/1\.1 200/);
      expect(received).toContain('event: connected');
      expect(received).not.toContain('event: return');
    } finally {
      stalled?.destroy();
      await server.close();
    }
  });
});
