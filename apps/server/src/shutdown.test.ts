import { mkdtemp, rm } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test, vi } from 'vitest';
import { createTestClient, failure, uniqueUsername } from './testing/client';
import { copyMigratedPglite, migratedPostgres } from './testing/database';
import { solidImage, uploadForm } from './testing/images';
import { exitWithin, freePort, type SpawnedServer, spawnServer } from './testing/process';
import { startTestServer } from './testing/server';
import { eventIdsFromList, receivedOnceExpected, watchUploads } from './testing/subscriber';

/** main.ts's hard deadline, plus room for a loaded machine to deliver the exit. */
const EXIT_WITHIN_MS = 15_000 + 5_000;
const ROUNDS = 3;

type Outcome = { caption: string } & ({ ok: true; postId: string } | { ok: false; why: string });

/**
 * `posts.upload` sent by hand so that the test decides when its body ends: the headers
 * go first, and once the server has answered `100 Continue` (it has the request) only
 * half the body follows. `finish()` sends the rest.
 */
async function startSlowUpload(
  url: string,
  cookie: string,
  caption: string,
): Promise<{ finish(): void; outcome: Promise<Outcome> }> {
  const form = uploadForm(await solidImage(64, 48), { caption });
  const encoded = new Request(url, { method: 'POST', body: form });
  const body = Buffer.from(await encoded.arrayBuffer());
  const half = Math.floor(body.length / 2);
  const req = httpRequest(`${url}/trpc/posts.upload`, {
    method: 'POST',
    headers: {
      cookie,
      origin: url,
      'content-type': encoded.headers.get('content-type') ?? '',
      'content-length': String(body.length),
      expect: '100-continue',
    },
  });
  const outcome = new Promise<Outcome>((resolve) => {
    const failed = (why: string) => resolve({ caption, ok: false, why });
    req.on('response', (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('error', (error) => failed(String(error)));
      response.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        const postId = response.statusCode === 200 ? uploadedPostId(text) : null;
        if (postId) resolve({ caption, ok: true, postId });
        else failed(`${response.statusCode}: ${text}`);
      });
    });
    req.on('error', (error) => failed(String(error)));
  });
  await Promise.race([
    new Promise<void>((resolve) => req.once('continue', resolve)),
    outcome.then((early) => {
      throw new Error(`the upload ended before the server took it: ${JSON.stringify(early)}`);
    }),
  ]);
  req.write(body.subarray(0, half));
  return { finish: () => req.end(body.subarray(half)), outcome };
}

/** The post id in a tRPC (superjson) success body. */
function uploadedPostId(text: string): string | null {
  const parsed: unknown = JSON.parse(text);
  const id = dig(parsed, ['result', 'data', 'json', 'id']);
  return typeof id === 'string' ? id : null;
}
function dig(value: unknown, path: string[]): unknown {
  let current = value;
  for (const key of path) {
    if (typeof current !== 'object' || current === null || !(key in current)) return undefined;
    current = Object.getOwnPropertyDescriptor(current, key)?.value;
  }
  return current;
}

/** Resolves once the server answers /healthz with `draining`: it has begun shutting down. */
async function untilDraining(server: SpawnedServer) {
  await vi.waitFor(
    async () => {
      const response = await fetch(`${server.url}/healthz`).catch(() => null);
      const body: unknown = response ? await response.json().catch(() => null) : null;
      if (response?.status !== 503 || dig(body, ['status']) !== 'draining')
        throw new Error('the server never reported draining');
    },
    { timeout: 10_000, interval: 10 },
  );
}

test('SIGTERM with uploads in flight: each upload the client was told succeeded is stored, none told failed is, and the server exits 0', async () => {
  // PGlite restarts on the same data folder; PostgreSQL on the same database.
  const database = process.env.DATABASE_URL ? await migratedPostgres() : null;
  // One author keeps several uploads in flight on purpose: above the per-person cap.
  const env: Record<string, string> = {
    UPLOADS_PER_USER: '20',
    ...(database?.url ? { DATABASE_URL: database.url } : {}),
  };
  const port = await freePort();
  const dataDir = await mkdtemp(join(tmpdir(), 'photogram-shutdown-'));
  if (!database) await copyMigratedPglite(join(dataDir, 'pglite'));
  let server = await spawnServer(env, { port, dataDir });
  try {
    const author = createTestClient(server.url);
    const { user } = await author.client.auth.signUp.mutate({
      username: uniqueUsername('leaving'),
      password: 'password123',
    });
    const follower = createTestClient(server.url);
    await follower.client.auth.signUp.mutate({
      username: uniqueUsername('staying'),
      password: 'password123',
    });
    await follower.client.follows.follow.mutate({ userId: user.id });
    // Subscribed through every restart: EventSource reconnects to whichever server answers.
    const watch = watchUploads(follower.client);
    await watch.started();

    const outcomes: Outcome[] = [];
    const photo = await solidImage(48, 64);
    const clientUpload = (caption: string) =>
      author.client.posts.upload.mutate(uploadForm(photo, { caption })).then(
        (post): Outcome => ({ caption, ok: true, postId: post.id }),
        (error: unknown): Outcome => ({ caption, ok: false, why: String(error) }),
      );

    for (let round = 0; round < ROUNDS; round++) {
      // In flight for certain: the server has these requests, their bodies unfinished.
      const cookie = author.cookieHeader();
      const held = await startSlowUpload(server.url, cookie, `held ${round}`);
      const quick = await Promise.all(
        [0, 1, 2].map((i) => startSlowUpload(server.url, cookie, `quick ${round}.${i}`)),
      );
      server.signal('SIGTERM');
      // These finish as the signal lands: decoding, committing and publishing overlap the
      // start of the shutdown.
      for (const upload of quick) upload.finish();
      await untilDraining(server);
      // Arriving during the drain: refused, and so never stored.
      const late = await clientUpload(`late ${round}`);
      expect(late).toMatchObject({ ok: false });
      // This one's body ends while the server drains: it still finishes, and publishes.
      held.finish();
      const admitted = await Promise.all([held, ...quick].map((upload) => upload.outcome));
      // Admitted before the signal, so each finishes before the server goes.
      expect(admitted.filter((outcome) => !outcome.ok)).toEqual([]);
      outcomes.push(late, ...admitted);

      expect(await exitWithin(server, EXIT_WITHIN_MS)).toEqual({ code: 0, signal: null });
      server = await spawnServer(env, { port, dataDir });
    }

    const stored = new Map<string, string>();
    let cursor: string | null = null;
    do {
      const page: Awaited<ReturnType<typeof author.client.posts.byUser.query>> =
        await author.client.posts.byUser.query({ userId: user.id, cursor, limit: 50 });
      for (const post of page.items) stored.set(post.id, post.caption);
      cursor = page.nextCursor;
    } while (cursor);

    const succeeded = outcomes.flatMap((outcome) => (outcome.ok ? [outcome] : []));
    const failed = outcomes.flatMap((outcome) => (outcome.ok ? [] : [outcome]));
    expect(succeeded.length).toBe(4 * ROUNDS);
    expect(failed.length).toBe(ROUNDS);
    // Told it succeeded: stored. Told it failed: not stored. Nothing else stored.
    expect(new Map(succeeded.map((outcome) => [outcome.postId, outcome.caption]))).toEqual(stored);
    const storedCaptions = new Set(stored.values());
    expect(failed.filter((outcome) => storedCaptions.has(outcome.caption))).toEqual([]);
    // The follower, subscribed across every restart, got each notification once, in order.
    const events = await eventIdsFromList(follower.client);
    expect(events).toHaveLength(4 * ROUNDS);
    expect(await receivedOnceExpected(watch, events, 20_000)).toEqual(events);
    watch.stop();
  } finally {
    await server.stop();
    await rm(dataDir, { recursive: true, force: true });
    await database?.drop();
  }
}, 240_000);

test('while draining, calls get a 503 with Retry-After, new event streams are dropped (so EventSource retries), and /healthz says draining', async () => {
  const server = await startTestServer();
  try {
    const person = createTestClient(server.url);
    await person.client.auth.signUp.mutate({
      username: uniqueUsername('drained'),
      password: 'password123',
    });
    expect(await server.app.drain(5_000)).toBe(true);

    const refused = await failure(person.client.auth.me.query());
    expect(refused.data).toMatchObject({ code: 'SERVICE_UNAVAILABLE', httpStatus: 503 });
    expect(refused.message).toBe('The server is restarting. Please try again in a moment.');
    const raw = await fetch(`${server.url}/trpc/auth.me`);
    expect(raw.status).toBe(503);
    expect(raw.headers.get('retry-after')).toBe('5');
    expect(raw.headers.get('connection')).toBe('close');

    // A status, any status, would make EventSource give up; a dropped connection is retried.
    const input = encodeURIComponent(JSON.stringify({ json: { lastEventId: null } }));
    await expect(
      fetch(`${server.url}/trpc/notifications.onUpload?input=${input}`, {
        headers: { accept: 'text/event-stream', cookie: person.cookieHeader() },
      }),
    ).rejects.toThrow();

    const health = await fetch(`${server.url}/healthz`);
    expect({ status: health.status, body: await health.json() }).toEqual({
      status: 503,
      body: { status: 'draining' },
    });
    expect((await fetch(`${server.url}/livez`)).status).toBe(200);
  } finally {
    await server.close();
  }
});
