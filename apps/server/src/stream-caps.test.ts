import { StreamMessages } from '@photogram/api';
import { afterAll, beforeAll, expect, test } from 'vitest';
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

/**
 * Opens a stream, reopening it while it is refused: streams closed a moment ago are
 * given back when the server sees their connection end, which it may not have yet.
 */
async function openWhenFree(person: Person) {
  const stream = watchUploads(person.client);
  await stream.started();
  for (let attempt = 0; refusal(stream)?.status === 429 && attempt < 50; attempt += 1) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    stream.resume();
    await stream.started();
  }
  return stream;
}

async function openStreams(person: Person, count: number) {
  const streams = [];
  for (let index = 0; index < count; index += 1) streams.push(await openWhenFree(person));
  return streams;
}

function refusal(stream: ReturnType<typeof watchUploads>) {
  const error = stream.error;
  return error ? { status: error.data?.httpStatus, message: error.message } : null;
}

test('a person’s streams past the per-person cap are refused with a 429; the others still get each upload once', async () => {
  const alice = await follower('alice');
  const accepted = await openStreams(alice, PER_USER);
  expect(accepted.map(refusal)).toEqual([null, null, null]);

  const extra = watchUploads(alice.client);
  await extra.started();
  expect(refusal(extra)).toEqual({ status: 429, message: StreamMessages.perUser(PER_USER) });

  const post = await author.client.posts.upload.mutate(uploadForm(photo));
  for (const stream of accepted) await stream.forPost(post.id);
  expect(accepted.map((stream) => stream.deliveries.length)).toEqual([1, 1, 1]);
  expect(extra.deliveries).toEqual([]);

  // A closed stream gives its place back: a new one is accepted and is live.
  accepted[0]?.stop();
  const replacement = await openWhenFree(alice);
  expect(refusal(replacement)).toBeNull();
  const next = await author.client.posts.upload.mutate(uploadForm(photo));
  await replacement.forPost(next.id);

  for (const stream of [...accepted, extra, replacement]) stream.stop();
});

test('streams from one address past the per-address cap are refused, whoever opens them', async () => {
  const bob = await follower('bob');
  const carol = await follower('carol');
  const dave = await follower('dave');
  const bobs = await openStreams(bob, PER_USER);
  const carols = await openStreams(carol, PER_ADDRESS - PER_USER);
  expect([...bobs, ...carols].map(refusal)).toEqual([null, null, null, null, null]);

  const extra = watchUploads(dave.client);
  await extra.started();
  expect(refusal(extra)).toEqual({ status: 429, message: StreamMessages.perAddress(PER_ADDRESS) });
  for (const stream of [...bobs, ...carols, extra]) stream.stop();
});
