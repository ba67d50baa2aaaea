import { afterAll, beforeAll, expect, test, vi } from 'vitest';
import { z } from 'zod';
import { createTestClient, signUpPerson } from './testing/client';
import { procedures, unwrapped } from './testing/procedures';
import { startTestServer, type TestServer } from './testing/server';
import { readEvents } from './testing/sse';

/*
 * Every error a person can see is a sentence in plain words: whatever a careless or
 * hostile client sends — no input, the wrong kind of value in any field, a body too
 * large, a method or content type the API does not take — the answer is a 4xx whose
 * message starts with a capital, ends with a full stop, and holds no code, no zod
 * wording and no JavaScript internals. Sent as raw HTTP, since the typed client would
 * not let a program send most of these.
 */

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({ maxUploadBytes: 64 * 1024 });
});
afterAll(async () => {
  await server?.close();
});

type Kind = 'string' | 'number' | 'boolean' | 'array' | 'file';
interface Field {
  path: string[];
  kind: Kind;
}

/** The fields of an input schema, with the kind of value each expects. */
function fieldsOf(wrapped: unknown, path: string[] = []): Field[] {
  const schema = unwrapped(wrapped);
  // `posts.upload` preprocesses FormData into its object.
  if (schema instanceof z.ZodPipe) return fieldsOf(schema.out, path);
  if (schema instanceof z.ZodObject) {
    return Object.entries(schema.shape).flatMap(([key, field]) => fieldsOf(field, [...path, key]));
  }
  if (schema instanceof z.ZodString) return [{ path, kind: 'string' }];
  if (schema instanceof z.ZodNumber) return [{ path, kind: 'number' }];
  if (schema instanceof z.ZodBoolean) return [{ path, kind: 'boolean' }];
  if (schema instanceof z.ZodArray) return [{ path, kind: 'array' }];
  if (schema instanceof z.ZodCustom) return [{ path, kind: 'file' }];
  throw new Error(`no probe values for a ${String(schema?.constructor.name)} at ${path.join('.')}`);
}

/** Values of the wrong kind (or out of range) for each kind of field. */
const wrongValues: Record<Kind, unknown[]> = {
  string: [5, true, {}, [], null],
  number: ['x', '5', 1.5, -1, 1e12, null, true, {}],
  boolean: ['true', 1, 0, null, {}],
  array: ['x', {}, [5], [null], null, Array.from({ length: 600 }, () => '1')],
  file: ['x', 5, {}, null],
};
/** Whole inputs that are not an object of fields at all (`undefined`: no input). */
const wrongInputs: unknown[] = [undefined, 5, 'x', [], null, true];

interface Procedure {
  path: string;
  type: 'query' | 'mutation' | 'subscription';
  fields: Field[];
}

function withFields(): Procedure[] {
  return procedures().map(({ path, type, inputs }) => ({
    path,
    type,
    fields: inputs.flatMap((input) => fieldsOf(input)),
  }));
}

function withValue(path: string[], value: unknown): unknown {
  const input: Record<string, unknown> = {};
  let at = input;
  path.forEach((key, index) => {
    if (index === path.length - 1) at[key] = value;
    else at = at[key] = {} as Record<string, unknown>;
  });
  return input;
}

const errorBody = z.object({
  error: z.object({
    json: z.object({ message: z.string(), data: z.object({ httpStatus: z.number() }) }),
  }),
});

/** How a raw call ended: its status and message (200 and '' when it succeeded). */
async function send(
  fetcher: typeof fetch,
  procedure: Procedure,
  input: { value: unknown } | null,
): Promise<{ status: number; message: string }> {
  const url = `${server.url}/trpc/${procedure.path}`;
  const encoded = input ? JSON.stringify({ json: input.value }) : null;
  if (procedure.type === 'mutation') {
    const response = await fetcher(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: encoded ?? '',
    });
    return outcome(response);
  }
  const query = encoded ? `?input=${encodeURIComponent(encoded)}` : '';
  if (procedure.type === 'query') return outcome(await fetcher(`${url}${query}`));
  // A subscription answers 200 and then sends its refusal as the stream's error event;
  // one it accepted is counted among the caller's open streams.
  if (!['notifications.onUpload', 'notifications.onActivity'].includes(procedure.path)) {
    throw new Error(`no signal known that ${procedure.path} accepted its input: add one here`);
  }
  const stream = readEvents(
    await fetcher(`${url}${query}`, { headers: { accept: 'text/event-stream' } }),
  );
  const refusal = await vi.waitFor(
    async () => {
      const refused = stream.events.find((event) => event.event === 'serialized-error');
      if (refused) return refused;
      if (stream.ended) return null;
      if ((await openStreams(fetcher)) > 0) return 'accepted';
      throw new Error('the stream is neither refused nor open yet');
    },
    { timeout: 10_000, interval: 20 },
  );
  await stream.close();
  if (refusal === 'accepted') {
    // Its place given back before the next probe, which would otherwise count it.
    await vi.waitFor(async () => expect(await openStreams(fetcher)).toBe(0), {
      timeout: 10_000,
      interval: 20,
    });
    return { status: 200, message: '' };
  }
  if (!refusal) return { status: stream.response.status, message: '' };
  const { json } = errorBody.shape.error.parse(JSON.parse(refusal.data));
  return { status: json.data.httpStatus, message: json.message };
}

const streamCount = z.object({
  result: z.object({ data: z.object({ json: z.object({ open: z.number() }) }) }),
});

/** How many streams (`onUpload`, `onActivity`) the caller holds open, as the server counts them. */
async function openStreams(fetcher: typeof fetch): Promise<number> {
  const response = await fetcher(`${server.url}/trpc/notifications.streamCount`);
  return streamCount.parse(await response.json()).result.data.json.open;
}

async function outcome(response: Response): Promise<{ status: number; message: string }> {
  const body: unknown = await response.json();
  if (response.ok) return { status: response.status, message: '' };
  return { status: response.status, message: errorBody.parse(body).error.json.message };
}

/** Why `message` is not a plain sentence, or null when it is one. */
function notASentence(message: string): string | null {
  if (!/^[A-Z"]/.test(message)) return 'does not start with a capital';
  if (!/[.!?]$/.test(message)) return 'does not end with a full stop';
  if (/\b[A-Z]{2,}_[A-Z_]+\b/.test(message)) return 'holds an error code';
  if (
    /Invalid input|expected |received |undefined|NaN|\[object|Iterator|is not a function/.test(
      message,
    )
  )
    return 'holds zod or JavaScript wording';
  if (/^The field "/.test(message)) return 'is the fallback for a schema without its own message';
  return null;
}

test('every procedure, given no input or the wrong kind of value in any field, answers a 4xx with a sentence', async () => {
  const all = withFields();
  // The walk must reach the inputs, or it would pass by testing nothing.
  expect(all.length).toBeGreaterThan(20);
  expect(all.flatMap((procedure) => procedure.fields).length).toBeGreaterThan(20);

  const problems: string[] = [];
  let probes = 0;
  for (const procedure of all) {
    // A person of their own per procedure: `auth.signOut` or `auth.signIn` must not
    // change who the next probes are signed in as.
    const person = await signUpPerson(server.url, 'probe');
    const inputs = [
      ...wrongInputs.map((value) => ({ label: `input ${JSON.stringify(value)}`, value })),
      ...procedure.fields.flatMap((field) =>
        wrongValues[field.kind].map((value) => ({
          label: `${field.path.join('.')} = ${JSON.stringify(value)?.slice(0, 20)}`,
          value: withValue(field.path, value),
        })),
      ),
    ];
    for (const { label, value } of inputs) {
      const input = value === undefined ? null : { value };
      const { status, message } = await send(person.fetch, procedure, input);
      probes += 1;
      if (status === 200) continue; // a procedure that takes no input, or `{}` is enough
      const where = `${procedure.path} ${label}: ${status} ${JSON.stringify(message)}`;
      if (status < 400 || status >= 500) problems.push(`${where} is not a 4xx`);
      const why = notASentence(message);
      if (why) problems.push(`${where} ${why}`);
    }
  }
  expect(probes).toBeGreaterThan(200);
  // One list, so that a failure shows every message that went wrong at once.
  expect(problems).toEqual([]);
  // Hundreds of requests one after another (two live streams opened and closed among
  // them): 7 s alone, past the default 30 s with the rest of the suite on two cores.
}, 120_000);

test('no input means the same as an empty one: feed.list(), notifications.list() and posts.byUser get their defaults', async () => {
  const person = await signUpPerson(server.url, 'defaults');
  for (const path of ['feed.list', 'notifications.list']) {
    const bare = await person.fetch(`${server.url}/trpc/${path}`);
    const empty = await person.fetch(
      `${server.url}/trpc/${path}?input=${encodeURIComponent(JSON.stringify({ json: {} }))}`,
    );
    expect([bare.status, empty.status], path).toEqual([200, 200]);
    expect(await bare.json(), path).toEqual(await empty.json());
  }
  // Through the typed client too: the input may be left out altogether.
  expect(await person.client.feed.list.query()).toEqual({ items: [], nextCursor: null });
});

test('a missing input with required fields says which field is missing', async () => {
  const anonymous = createTestClient(server.url);
  const signIn = await anonymous.fetch(`${server.url}/trpc/auth.signIn`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
  });
  expect(signIn.status).toBe(400);
  expect(errorBody.parse(await signIn.json()).error.json.message).toMatch(/^Username is required/);
  const byId = await anonymous.fetch(`${server.url}/trpc/posts.byId`);
  expect(errorBody.parse(await byId.json()).error.json.message).toBe('That post id is not valid.');
});

test('transport errors are sentences: too large, wrong method, wrong content type, unknown procedure, unreadable input', async () => {
  const person = await signUpPerson(server.url, 'transport');
  const post = (path: string, body: RequestInit['body'], contentType = 'application/json') =>
    person.fetch(`${server.url}/trpc/${path}`, {
      method: 'POST',
      headers: contentType ? { 'content-type': contentType } : {},
      body,
    });
  const photo = new FormData();
  photo.set('image', new File([new Uint8Array(200 * 1024)], 'big.jpg', { type: 'image/jpeg' }));
  const cases: Array<[string, Promise<Response>, number, string]> = [
    [
      'a 2 MB JSON body',
      post(
        'auth.signIn',
        JSON.stringify({ json: { username: 'a', password: 'x'.repeat(2 ** 21) } }),
      ),
      413,
      'That request is too large: send at most 1 MB.',
    ],
    [
      'a photo over MAX_UPLOAD_BYTES',
      person.fetch(`${server.url}/trpc/posts.upload`, { method: 'POST', body: photo }),
      413,
      'Photos can be at most 0.1 MB.',
    ],
    [
      'a GET of a mutation',
      person.fetch(`${server.url}/trpc/auth.signOut`),
      405,
      'This procedure changes data: call it with POST.',
    ],
    [
      'a POST to a query',
      post('feed.list', '{}'),
      405,
      'This procedure reads data: call it with GET.',
    ],
    [
      'a text/plain body',
      post('auth.signIn', 'hello', 'text/plain'),
      415,
      'Send the request as JSON (Content-Type: application/json), or as multipart/form-data for an upload.',
    ],
    [
      'an unknown procedure',
      person.fetch(`${server.url}/trpc/nope.nothing`),
      404,
      'There is no procedure called "nope.nothing".',
    ],
    [
      'JSON that does not parse',
      post('auth.signIn', '{"json":'),
      400,
      'The request could not be read. Send valid JSON.',
    ],
    [
      // superjson's own errors ("Iterator value p is not an entry object").
      'a transformer annotation that does not fit its value',
      post(
        'auth.signIn',
        JSON.stringify({ json: { username: 'p' }, meta: { values: { username: ['map'] } } }),
      ),
      400,
      'The request could not be read: its input is not in the form this API expects.',
    ],
    [
      'an unknown transformer annotation',
      post(
        'auth.signIn',
        JSON.stringify({ json: { username: 'p' }, meta: { values: { username: ['Map'] } } }),
      ),
      400,
      'The request could not be read: its input is not in the form this API expects.',
    ],
  ];
  const results = [];
  for (const [label, pending] of cases) {
    const response = await pending;
    const body: unknown = await response.json();
    results.push([label, response.status, errorBody.parse(body).error.json.message]);
  }
  expect(results).toEqual(cases.map(([label, , status, message]) => [label, status, message]));
});

test('errors outside tRPC are sentences too', async () => {
  const badUrl = await fetch(`${server.url}/%`);
  expect(badUrl.status).toBe(400);
  expect(await badUrl.json()).toEqual({
    error: 'That request is not valid. Check the address and try again.',
  });
  const missing = await fetch(`${server.url}/media/ab/nope.webp`);
  expect(missing.status).toBe(404);
  expect(await missing.json()).toEqual({ error: 'There is nothing at this address.' });
});
