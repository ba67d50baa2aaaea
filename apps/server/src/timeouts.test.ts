import { connect, type Socket } from 'node:net';
import { afterAll, beforeAll, expect, test, vi } from 'vitest';
import type { RequestTimeouts } from './connection-bounds';
import { signUpPerson } from './testing/client';
import { solidImage, uploadForm } from './testing/images';
import { startTestServer, type TestServer } from './testing/server';
import { watchUploads } from './testing/subscriber';

// The production figures scaled down so that every bound is reached within a second or two.
const timeouts: RequestTimeouts = {
  headersMs: 500,
  bodyIdleMs: 500,
  requestMs: 1_500,
  keepAliveMs: 1_000,
  checkIntervalMs: 100,
};

let server: TestServer;
let port: number;
beforeAll(async () => {
  server = await startTestServer({ timeouts, logger: { level: 'error' } });
  port = Number(new URL(server.url).port);
});
afterAll(async () => {
  await server?.close();
});

interface RawAnswer {
  /** Everything the server sent before the connection ended. */
  text: string;
  /** From the first byte sent to the connection's end. */
  elapsedMs: number;
}

/** A raw TCP connection to the server, to send a request as badly as an attacker would. */
function rawConnection() {
  const socket: Socket = connect(port, '127.0.0.1');
  const started = Date.now();
  let text = '';
  socket.setEncoding('utf8');
  socket.on('data', (chunk: string) => {
    text += chunk;
  });
  const ended = new Promise<RawAnswer>((resolve) => {
    socket.on('error', () => {
      // A reset is an ending too; `close` follows.
    });
    socket.on('close', () => resolve({ text, elapsedMs: Date.now() - started }));
  });
  const connected = new Promise<void>((resolve) => socket.once('connect', () => resolve()));
  const answered = new Promise<string>((resolve) => socket.once('data', resolve));
  return { socket, connected, ended, answered };
}

const head = (length: number) =>
  [
    'POST /trpc/auth.signIn HTTP/1.1',
    'Host: 127.0.0.1',
    'Content-Type: application/json',
    `Content-Length: ${length}`,
    '',
    '',
  ].join('\r\n');

async function expectServing() {
  const response = await fetch(`${server.url}/livez`);
  expect(response.status).toBe(200);
}

test('a body that stalls after a few bytes is cut off with a 408 once it has been idle for the bound', async () => {
  const stalled = Array.from({ length: 20 }, () => rawConnection());
  for (const { socket } of stalled) socket.write(`${head(1000)}{"json":{"`);
  // Meanwhile everyone else is served.
  await expectServing();
  for (const { ended } of stalled) {
    const answer = await ended;
    expect(answer.text).toMatch(/^HTTP\/1\.1 408 /);
    expect(answer.text).toContain('took too long to arrive');
    // Not before its bound (how soon after it is the bench's business, not a test's).
    expect(answer.elapsedMs).toBeGreaterThanOrEqual(timeouts.bodyIdleMs);
  }
  await expectServing();
});

test('a head that stalls is cut off with a 408 after the header bound', async () => {
  const { socket, ended } = rawConnection();
  socket.write('POST /trpc/auth.signIn HTTP/1.1\r\nHost: 127.0.0.1\r\n');
  const answer = await ended;
  expect(answer.text).toMatch(/^HTTP\/1\.1 408 /);
  expect(answer.elapsedMs).toBeGreaterThanOrEqual(timeouts.headersMs);
  await expectServing();
});

test('a slow body that keeps arriving is not cut off while it stays within the whole-request bound', async () => {
  const body = JSON.stringify({ json: { username: 'nobody_here', password: 'password123' } });
  const { socket, connected, ended, answered } = rawConnection();
  await connected;
  socket.write(head(Buffer.byteLength(body)));
  // Longer in all than the idle bound, but never idle for anything near as long (a
  // quarter of it, so a busy machine's late timers cannot make a gap reach it).
  const pieces = 8;
  const size = Math.ceil(body.length / pieces);
  for (let index = 0; index < pieces; index += 1) {
    await new Promise((resolve) => setTimeout(resolve, timeouts.bodyIdleMs / 4));
    socket.write(body.slice(index * size, (index + 1) * size));
  }
  const text = await answered;
  socket.destroy();
  await ended;
  expect(text).toMatch(/^HTTP\/1\.1 (401|400|429) /);
});

test('a body trickled just fast enough to dodge the idle bound is ended by the whole-request bound', async () => {
  const { socket, connected, ended } = rawConnection();
  await connected;
  socket.write(head(100_000));
  const trickle = setInterval(() => {
    if (!socket.destroyed) socket.write('a');
  }, timeouts.bodyIdleMs / 4);
  try {
    const answer = await ended;
    expect(answer.text).toMatch(/^HTTP\/1\.1 408 /);
    expect(answer.elapsedMs).toBeGreaterThanOrEqual(timeouts.requestMs);
  } finally {
    clearInterval(trickle);
  }
  await expectServing();
});

test('a live subscription outlives every request bound and still receives an upload', async () => {
  const alice = await signUpPerson(server.url, 'alice');
  const bob = await signUpPerson(server.url, 'bob');
  await bob.client.follows.follow.mutate({ userId: alice.user.id });
  const watch = watchUploads(bob.client);
  await watch.started();
  const connectingBefore = watch.states.filter((state) => state === 'connecting').length;

  // Past the whole-request bound and the keep-alive bound: the stream is a response, not a request.
  const longest = Math.max(timeouts.requestMs, timeouts.keepAliveMs, timeouts.headersMs);
  await new Promise((resolve) => setTimeout(resolve, longest + timeouts.checkIntervalMs * 5));

  const post = await alice.client.posts.upload.mutate(
    uploadForm(await solidImage(32, 32), { caption: 'still there?' }),
  );
  await watch.forPost(post.id);
  expect(watch.states.filter((state) => state === 'connecting').length).toBe(connectingBefore);
  expect(watch.error).toBeNull();
  watch.stop();
});

test('connections beyond the cap for one address are refused; the others go on', async () => {
  const capped = await startTestServer({ connectionCap: { perAddress: 3 } });
  const cappedPort = Number(new URL(capped.url).port);
  const open = (): Promise<Socket> =>
    new Promise((resolve) => {
      const socket = connect(cappedPort, '127.0.0.1');
      socket.on('error', () => {
        // Refused connections are reset; `close` follows.
      });
      socket.once('connect', () => resolve(socket));
    });
  const closed = (socket: Socket) =>
    new Promise<void>((resolve) => {
      if (socket.destroyed) resolve();
      else socket.once('close', () => resolve());
    });
  try {
    const held = [await open(), await open(), await open()];
    const extra = await open();
    await closed(extra);
    // The held connections still work.
    const first = held[0];
    if (!first) throw new Error('no connection');
    const answer = new Promise<string>((resolve) => {
      first.setEncoding('utf8');
      first.once('data', (chunk: string) => resolve(chunk));
    });
    first.write('GET /livez HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
    expect(await answer).toMatch(/^HTTP\/1\.1 200 /);
    // Once one is closed, a new one is let in.
    const second = held[1];
    second?.destroy();
    if (second) await closed(second);
    await vi.waitFor(async () => {
      const response = await fetch(`${capped.url}/livez`, { headers: { connection: 'close' } });
      expect(response.status).toBe(200);
    });
    for (const socket of held) socket.destroy();
  } finally {
    await capped.close();
  }
});
