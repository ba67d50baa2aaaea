import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { initTRPC, tracked } from '@trpc/server';
import superjson from 'superjson';
import { afterEach, expect, test, vi } from 'vitest';
import { createSSEHandler, type SSEHandler } from './handler';
import { SharedPayload } from './shared-payload';
import { createClient, record } from './testing/client';
import { createToyContext, toyRouter } from './testing/router';
import { fetchRaw, frameData, parseFrames, subscriptionUrl, until } from './testing/wire';

const servers: Server[] = [];
afterEach(async () => {
  vi.restoreAllMocks();
  await Promise.all(
    servers.splice(0).map(
      (server) =>
        new Promise<void>((resolve) => {
          server.closeAllConnections();
          server.close(() => resolve());
        }),
    ),
  );
});

/** A real server whose every request goes to `handler`; records how each `handle` settled. */
async function serve(handler: SSEHandler) {
  const settled: string[] = [];
  const server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname.replace(/^\/trpc\//, '');
    handler.handle(req, res, path).then(
      (served) => {
        settled.push(served ? 'served' : 'declined');
        if (!served) res.writeHead(404).end();
      },
      (error: unknown) => {
        settled.push(`rejected: ${String(error)}`);
        res.destroy();
      },
    );
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { origin: `http://127.0.0.1:${port}`, settled };
}

test('an onError that throws costs no answer: handle resolves, the client gets its error and the response ends', async () => {
  const consoleError = vi.spyOn(console, 'error').mockImplementation(() => {});
  const handler = createSSEHandler({
    router: toyRouter,
    createContext: ({ req, info }) => createToyContext(req.headers, info.connectionParams),
    onError: () => {
      throw new Error('onError is broken');
    },
  });
  const { origin, settled } = await serve(handler);

  const before = await fetchRaw(subscriptionUrl(origin, 'fails', { code: 'CONFLICT' }));
  const after = await fetchRaw(
    subscriptionUrl(origin, 'fails', { code: 'CONFLICT', afterOneYield: true }),
  );
  expect(parseFrames(before.body).map((frame) => frame.event)).toEqual([
    'connected',
    'serialized-error',
  ]);
  expect(parseFrames(after.body).map((frame) => frame.event)).toEqual([
    'connected',
    undefined,
    'serialized-error',
  ]);
  for (const { body } of [before, after]) {
    expect(frameData(parseFrames(body).at(-1))).toMatchObject({
      code: -32009,
      message: 'failed with CONFLICT',
      data: { code: 'CONFLICT', httpStatus: 409 },
    });
  }

  // through the real client too: the error arrives as a TRPCClientError and the link stops
  const client = createClient(origin);
  const sub = record((cb) => client.fails.subscribe({ code: 'CONFLICT' }, cb));
  await until(() => sub.error() !== undefined, 'the client to see the error');
  expect(sub.error()).toMatchObject({
    message: 'failed with CONFLICT',
    data: { code: 'CONFLICT' },
  });
  sub.unsubscribe();

  await until(() => settled.length === 3, 'every handle() to settle');
  expect(settled).toEqual(['served', 'served', 'served']);
  expect(handler.openStreams).toBe(0);
  expect(consoleError).toHaveBeenCalledTimes(3);
  expect(consoleError.mock.calls[0]?.[0]).toBe(
    '@photogram/trpc-sse: onError threw while reporting',
  );
});

test("the pump writes a SharedPayload's values from one serialization of the shared part", async () => {
  let serialized = 0;
  const t = initTRPC.create({
    transformer: {
      input: superjson,
      output: {
        serialize: (value: unknown) => {
          serialized += 1;
          return superjson.serialize(value);
        },
        deserialize: superjson.deserialize,
      },
    },
  });
  const payload = new SharedPayload({ at: new Date(7), caption: 'shared "part"\n' });
  const recipients = Array.from({ length: 20 }, (_, index) => String(index));
  const router = t.router({
    told: t.procedure.subscription(async function* () {
      const { at, caption } = payload.shared;
      for (const id of recipients) yield tracked(id, payload.attach({ id, at, caption }));
    }),
  });
  const { origin } = await serve(createSSEHandler({ router }));

  const { body } = await fetchRaw(subscriptionUrl(origin, 'told'));
  const data = parseFrames(body).filter((frame) => frame.event === undefined);
  expect(data.map((frame) => frame.data)).toEqual(
    recipients.map((id) => JSON.stringify(superjson.serialize({ id, ...payload.shared }))),
  );
  // the template and its check on the first value; none for the other 19
  expect(serialized).toBe(2);
});

test('a stream still making its context when close() runs is refused, not left open after it', async () => {
  let contextAsked: () => void = () => {};
  const asked = new Promise<void>((resolve) => {
    contextAsked = resolve;
  });
  let releaseContext: () => void = () => {};
  const released = new Promise<void>((resolve) => {
    releaseContext = resolve;
  });
  const handler = createSSEHandler({
    router: toyRouter,
    createContext: async ({ req, info }) => {
      contextAsked();
      await released;
      return createToyContext(req.headers, info.connectionParams);
    },
  });
  const { origin, settled } = await serve(handler);

  const response = fetchRaw(subscriptionUrl(origin, 'silent', { key: 'closing-while-setting-up' }));
  await asked;
  await handler.close();
  releaseContext();
  const { body } = await response;

  const frames = parseFrames(body);
  expect(frames.map((frame) => frame.event)).toEqual(['connected', 'serialized-error']);
  expect(frameData(frames[1])).toMatchObject({ data: { code: 'SERVICE_UNAVAILABLE' } });
  expect(settled).toEqual(['served']);
  expect(handler.openStreams).toBe(0);
});

test('an error formatter that throws still ends the stream with an error frame, a plain INTERNAL_SERVER_ERROR', async () => {
  const consoleError = vi.spyOn(console, 'error').mockImplementation(() => {});
  const t = initTRPC.create({
    transformer: superjson,
    errorFormatter: () => {
      throw new Error('the formatter is broken');
    },
  });
  const router = t.router({
    fails: t.procedure.subscription(async function* () {
      yield 'before the failure';
      throw new Error('the procedure failed');
    }),
  });
  const { origin, settled } = await serve(createSSEHandler({ router }));

  const frames = parseFrames((await fetchRaw(subscriptionUrl(origin, 'fails'))).body);
  expect(frames.map((frame) => frame.event)).toEqual(['connected', undefined, 'serialized-error']);
  expect(frameData(frames[2])).toEqual({
    message: 'Internal server error',
    code: -32603,
    data: { code: 'INTERNAL_SERVER_ERROR', httpStatus: 500, path: 'fails' },
  });
  await until(() => settled.length === 1, 'handle() to settle');
  expect(settled).toEqual(['served']);
  expect(consoleError).toHaveBeenCalledOnce();
});
