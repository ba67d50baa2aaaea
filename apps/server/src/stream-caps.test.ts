import { StreamMessages } from '@photogram/api';
import { afterAll, beforeAll, expect, test, vi } from 'vitest';
import { type Person, signUpPerson } from './testing/client';
import { solidImage, uploadForm } from './testing/images';
import { startTestServer, type TestServer } from './testing/server';
import { watchUploads } from './testing/subscriber';

/*
 * One person, or one address, cannot hold more live streams than the caps: the extra
 * ones end with a 429 and a sentence saying what to do, and the ones within the caps go
 * on receiving every notification exactly once. Every client of this test comes from
 * 127.0.0.1, so the address cap counts all of them together.
 */

const PER_USER = 3;
const PER_ADDRESS = 5;

let server: TestServer;
let author: Person;
let photo: Buffer;
beforeAll(async () => {
  server = await startTestServer({ streamLimits: { perUser: PER_USER, perAddress: PER_ADDRESS } });
  author = await signUpPerson(server.url, 'author');
  photo = await solidImage(32, 32);
});
afterAll(async () => {
  await server?.close();
});

async function follower(prefix: string): Promise<Person> {
  const person = await signUpPerson(server.url, prefix);
  await person.client.follows.follow.mutate({ userId: author.user.id });
  return person;
}

async function streamsOf(person: Person): Promise<number> {
  return (await person.client.notifications.streamCount.query()).open;
}

/**
 * Opens a stream and resolves once the server has refused it or counts it among the
 * person's open ones (a refused stream is never counted).
 */
async function open(person: Person) {
  const before = await streamsOf(person);
  const stream = watchUploads(person.client);
  await vi.waitFor(
    async () => {
      if (stream.error === null && (await streamsOf(person)) === before) {
        throw new Error('the stream is neither refused nor counted yet');
      }
    },
    { timeout: 10_000, interval: 20 },
  );
  return stream;
}

async function openStreams(person: Person, count: number) {
  const streams = [];
  for (let index = 0; index < count; index += 1) streams.push(await open(person));
  return streams;
}

/**
 * Waits until the server holds `count` streams of the person's: a stream closed a moment
 * ago gives its place back when the server sees its connection end, which it may not have yet.
 */
async function holding(person: Person, count: number) {
  await vi.waitFor(async () => expect(await streamsOf(person)).toBe(count), {
    timeout: 10_000,
    interval: 20,
  });
}

function refusal(stream: ReturnType<typeof watchUploads>) {
  const error = stream.error;
  return error ? { status: error.data?.httpStatus, message: error.message } : null;
}

test('a person’s streams past the per-person cap are refused with a 429; the others still get each upload once', async () => {
  const alice = await follower('alice');
  const accepted = await openStreams(alice, PER_USER);
  expect(accepted.map(refusal)).toEqual([null, null, null]);

  const extra = await open(alice);
  expect(refusal(extra)).toEqual({ status: 429, message: StreamMessages.perUser(PER_USER) });

  const post = await author.client.posts.upload.mutate(uploadForm(photo));
  for (const stream of accepted) await stream.forPost(post.id);
  expect(accepted.map((stream) => stream.deliveries.length)).toEqual([1, 1, 1]);
  expect(extra.deliveries).toEqual([]);

  // A closed stream gives its place back: a new one is accepted and is live.
  accepted[0]?.stop();
  await holding(alice, PER_USER - 1);
  const replacement = await open(alice);
  expect(refusal(replacement)).toBeNull();
  const next = await author.client.posts.upload.mutate(uploadForm(photo));
  await replacement.forPost(next.id);

  for (const stream of [...accepted, extra, replacement]) stream.stop();
  // Every client here comes from one address: the next test starts with it free.
  await holding(alice, 0);
});

test('streams from one address past the per-address cap are refused, whoever opens them', async () => {
  const bob = await follower('bob');
  const carol = await follower('carol');
  const dave = await follower('dave');
  const bobs = await openStreams(bob, PER_USER);
  const carols = await openStreams(carol, PER_ADDRESS - PER_USER);
  expect([...bobs, ...carols].map(refusal)).toEqual([null, null, null, null, null]);

  const extra = await open(dave);
  expect(refusal(extra)).toEqual({ status: 429, message: StreamMessages.perAddress(PER_ADDRESS) });
  for (const stream of [...bobs, ...carols, extra]) stream.stop();
  await Promise.all([holding(bob, 0), holding(carol, 0)]);
});
