import { request as httpRequest } from 'node:http';
import { DecodePool } from '@photogram/api';
import { PostMessages } from '@photogram/contracts';
import { posts } from '@photogram/db';
import { count } from 'drizzle-orm';
import { afterAll, beforeAll, expect, test, vi } from 'vitest';
import { type Person, signUpPerson } from './testing/client';
import { solidImage, uploadForm } from './testing/images';
import { startTestServer, type TestServer } from './testing/server';
import { createUploadGate } from './upload-gate';

/** Two per person, four in all: small enough to reach with a handful of held uploads. */
const gate = createUploadGate({ perClient: 2, total: 4 });
/** Two decodes at a time and none waiting, so a test can fill it by hand. */
const decodes = new DecodePool({ concurrency: 2, maxQueued: 0 });
let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({ uploadGate: gate, decodes });
});
afterAll(async () => {
  await server?.close();
});

/** A multipart upload exactly as the typed client sends it: the bytes and their content type. */
async function encodedUpload(photo: Buffer) {
  const request = new Request('http://localhost/', { method: 'POST', body: uploadForm(photo) });
  const type = request.headers.get('content-type') ?? '';
  return { type, body: Buffer.from(await request.arrayBuffer()) };
}

interface Answer {
  status: number;
  retryAfter: string | null;
  message: string | undefined;
}

function readAnswer(response: Response | { status: number; headers: Headers }, text: string) {
  const parsed: { error?: { json?: { message?: string } } } = text ? JSON.parse(text) : {};
  return {
    status: response.status,
    retryAfter: response.headers.get('retry-after'),
    message: parsed.error?.json?.message,
  } satisfies Answer;
}

/**
 * An upload whose body stops after its first bytes and goes on only when told: it is in
 * flight for exactly as long as the test wants, however fast the machine.
 */
async function heldUpload(base: string, person: Person, photo: Buffer) {
  const { type, body } = await encodedUpload(photo);
  const url = new URL('/trpc/posts.upload', base);
  let answered: (answer: Answer) => void = () => {};
  const answer = new Promise<Answer>((resolve) => {
    answered = resolve;
  });
  const request = httpRequest(url, {
    method: 'POST',
    headers: {
      'content-type': type,
      'content-length': String(body.length),
      cookie: person.cookieHeader(),
      origin: base,
    },
  });
  request.on('response', (response) => {
    let text = '';
    response.setEncoding('utf8');
    response.on('data', (chunk: string) => {
      text += chunk;
    });
    response.on('end', () => {
      const headers = new Headers();
      for (const [name, value] of Object.entries(response.headers)) {
        if (typeof value === 'string') headers.set(name, value);
      }
      answered(readAnswer({ status: response.statusCode ?? 0, headers }, text));
    });
  });
  // A refused upload's connection may be reset while its body is still held; the answer
  // (or its absence) is what the tests look at.
  request.on('error', (error: Error) => {
    answered({ status: 0, retryAfter: null, message: error.message });
  });
  request.write(body.subarray(0, 100));
  return {
    answer,
    finish() {
      request.end(body.subarray(100));
      return answer;
    },
    abort() {
      request.destroy();
    },
  };
}

/** An upload through the person's own fetch (cookies, Origin), read as the client would. */
async function upload(base: string, person: Person, photo: Buffer): Promise<Answer> {
  const response = await person.fetch(`${base}/trpc/posts.upload`, {
    method: 'POST',
    body: uploadForm(photo),
  });
  return readAnswer(response, await response.text());
}

async function waitForInFlight(total: number) {
  await vi.waitFor(() => expect(gate.load().total).toBe(total), { timeout: 5_000, interval: 5 });
}

async function postCount(): Promise<number> {
  const [row] = await server.database.db.select({ n: count() }).from(posts);
  return row?.n ?? 0;
}

test('a person over their cap of uploads in flight gets 429 with Retry-After and a sentence, before the body is read; the others finish', async () => {
  const before = await postCount();
  const alice = await signUpPerson(server.url, 'alice');
  const bob = await signUpPerson(server.url, 'bob');
  const photo = await solidImage(40, 30);
  const held = [
    await heldUpload(server.url, alice, photo),
    await heldUpload(server.url, alice, photo),
  ];
  await waitForInFlight(2);

  // Refused on its headers: the answer comes while its own body is still held back.
  const third = await heldUpload(server.url, alice, photo);
  const early = await third.answer;
  third.abort();
  expect([early.status, early.message]).toEqual([
    429,
    PostMessages.uploadsInProgress(2, Number(early.retryAfter)),
  ]);

  // The same procedure spelt with an escape is the same upload, and counted as one.
  const escaped = await alice.fetch(`${server.url}/trpc/posts%2Eupload`, {
    method: 'POST',
    body: uploadForm(photo),
  });
  expect(readAnswer(escaped, await escaped.text()).status).toBe(429);

  // Seven more at once, each refused at once: none waits for a held upload to finish.
  const refused = await Promise.all(
    Array.from({ length: 7 }, () => upload(server.url, alice, photo)),
  );
  for (const answer of refused) {
    expect(answer.status).toBe(429);
    const wait = Number(answer.retryAfter);
    expect(wait).toBeGreaterThanOrEqual(1);
    expect(answer.message).toBe(PostMessages.uploadsInProgress(2, wait));
  }
  // The cap is Alice's, not everyone's.
  expect((await upload(server.url, bob, photo)).status).toBe(200);

  for (const upload of held) expect((await upload.finish()).status).toBe(200);
  await waitForInFlight(0);
  expect((await upload(server.url, alice, photo)).status).toBe(200);
  // tRPC serves the escaped spelling too, which is why the cap must count it.
  const served = await alice.fetch(`${server.url}/trpc/posts%2Eupload`, {
    method: 'POST',
    body: uploadForm(photo),
  });
  expect(served.status).toBe(200);
  // Nothing refused left a row behind: 2 held + Bob's + Alice's last two.
  expect(await postCount()).toBe(before + 5);
});

test('when the process has its total of uploads in flight, the next gets 503 with Retry-After and a sentence', async () => {
  const before = await postCount();
  const people = [
    await signUpPerson(server.url, 'one'),
    await signUpPerson(server.url, 'two'),
    await signUpPerson(server.url, 'three'),
  ];
  const [one, two, three] = people;
  if (!one || !two || !three) throw new Error('three people were signed up');
  const photo = await solidImage(40, 30);
  const held = [];
  for (const person of [one, one, two, two]) held.push(await heldUpload(server.url, person, photo));
  await waitForInFlight(4);

  const answer = await upload(server.url, three, photo);
  expect(answer.status).toBe(503);
  const wait = Number(answer.retryAfter);
  expect(wait).toBeGreaterThanOrEqual(1);
  expect(answer.message).toBe(PostMessages.serverBusy(wait));

  for (const upload of held) expect((await upload.finish()).status).toBe(200);
  await waitForInFlight(0);
  expect((await upload(server.url, three, photo)).status).toBe(200);
  expect(await postCount()).toBe(before + 5);
});

test('the typed client reads a refused upload as an error with the sentence', async () => {
  const alice = await signUpPerson(server.url, 'alice');
  const photo = await solidImage(40, 30);
  const held = [
    await heldUpload(server.url, alice, photo),
    await heldUpload(server.url, alice, photo),
  ];
  await waitForInFlight(2);
  await expect(alice.client.posts.upload.mutate(uploadForm(photo))).rejects.toMatchObject({
    data: { code: 'TOO_MANY_REQUESTS', httpStatus: 429 },
    message: expect.stringMatching(
      /^You already have 2 uploads in progress\. Try again in \d+ seconds?, when one has finished\.$/,
    ),
  });
  for (const upload of held) expect((await upload.finish()).status).toBe(200);
  await waitForInFlight(0);
});

test('an upload admitted while every decode slot is taken and none may wait gets 503 with Retry-After, and leaves nothing', async () => {
  const before = await postCount();
  const alice = await signUpPerson(server.url, 'alice');
  const photo = await solidImage(40, 30);
  // Both slots held by work the test controls: the pool is full, whatever the timing.
  let release: () => void = () => {};
  const held = new Promise<void>((resolve) => {
    release = resolve;
  });
  const occupied = [decodes.run(0, () => held), decodes.run(0, () => held)];
  expect(decodes.load).toMatchObject({ running: 2, waiting: 0 });

  const answer = await upload(server.url, alice, photo);
  expect(answer.status).toBe(503);
  const wait = Number(answer.retryAfter);
  expect(wait).toBeGreaterThanOrEqual(1);
  expect(answer.message).toBe(PostMessages.serverBusy(wait));

  release();
  await Promise.all(occupied);
  expect((await upload(server.url, alice, photo)).status).toBe(200);
  expect(await postCount()).toBe(before + 1);
});

test('one address over its cap (people or made-up credentials alike) gets 429 with Retry-After and a sentence', async () => {
  // Loopback is exempt by default (a local proxy is everyone); this server counts it.
  const strict = createUploadGate({ perClient: 2, perAddress: 3, total: 10, exempt: [] });
  const second = await startTestServer({ database: server.database, uploadGate: strict });
  try {
    const people = [
      await signUpPerson(second.url, 'alice'),
      await signUpPerson(second.url, 'bob'),
      await signUpPerson(second.url, 'carol'),
    ];
    const [alice, bob, carol] = people;
    if (!alice || !bob || !carol) throw new Error('three people were signed up');
    const photo = await solidImage(40, 30);
    const held = [];
    for (const person of [alice, alice, bob])
      held.push(await heldUpload(second.url, person, photo));
    await vi.waitFor(() => expect(strict.load().total).toBe(3), { timeout: 5_000, interval: 5 });

    const answer = await upload(second.url, carol, photo);
    expect(answer.status).toBe(429);
    const wait = Number(answer.retryAfter);
    expect(wait).toBeGreaterThanOrEqual(1);
    expect(answer.message).toBe(PostMessages.uploadsFromAddress(wait));

    for (const upload of held) expect((await upload.finish()).status).toBe(200);
    await vi.waitFor(() => expect(strict.load().total).toBe(0), { timeout: 5_000, interval: 5 });
    expect((await upload(second.url, carol, photo)).status).toBe(200);
  } finally {
    await second.close();
  }
});
