import { MAX_BATCH_CALLS } from '@photogram/contracts';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { createTestClient, signUpPerson } from './testing/client';
import { solidImage, uploadForm } from './testing/images';
import { startTestServer, type TestServer } from './testing/server';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({ logger: { level: 'error' } });
});
afterAll(async () => {
  await server?.close();
});

/** One batched request of `n` calls to `posts.byId`, as httpBatchLink sends it. */
async function batch(n: number, postId: string) {
  const paths = Array.from({ length: n }, () => 'posts.byId').join(',');
  const input: Record<number, unknown> = {};
  for (let i = 0; i < n; i++) input[i] = { json: { postId } };
  const query = new URLSearchParams({ batch: '1', input: JSON.stringify(input) });
  const response = await fetch(`${server.url}/trpc/${paths}?${query}`);
  return { status: response.status, body: await response.text() };
}

test('a batch of up to MAX_BATCH_CALLS calls is served; one more is a 400 with a sentence', async () => {
  const author = await signUpPerson(server.url, 'batch');
  const post = await author.client.posts.upload.mutate(uploadForm(await solidImage(8, 8)));

  const full = await batch(MAX_BATCH_CALLS, post.id);
  expect(full.status).toBe(200);
  expect(JSON.parse(full.body)).toHaveLength(MAX_BATCH_CALLS);

  const over = await batch(MAX_BATCH_CALLS + 1, post.id);
  expect(over.status).toBe(400);
  expect(over.body).not.toMatch(/"stack"|\.ts:\d/);
  const refused = JSON.parse(over.body) as { error: { json: { message: string } } };
  expect(refused.error.json.message).toBe(
    `That request carries too many calls: batch at most ${MAX_BATCH_CALLS} at once.`,
  );
});

test('the real client splits many parallel calls into batches the server takes', async () => {
  const author = await signUpPerson(server.url, 'batch');
  const post = await author.client.posts.upload.mutate(uploadForm(await solidImage(8, 8)));
  const { client } = createTestClient(server.url);
  const results = await Promise.all(
    Array.from({ length: MAX_BATCH_CALLS * 2 + 5 }, () =>
      client.posts.byId.query({ postId: post.id }),
    ),
  );
  expect(new Set(results.map((result) => result.id))).toEqual(new Set([post.id]));
});
