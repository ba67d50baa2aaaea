import { expect, test } from 'vitest';
import { TooManyRequestsError } from './errors';
import { Limiter } from './rate-limit';

test('a limiter lets `points` attempts through per key, then refuses with the wait', async () => {
  const limiter = new Limiter({ points: 2, duration: 60 });
  await limiter.consume('alice');
  await limiter.consume('alice');
  const refused = await limiter.consume('alice').catch((error: unknown) => error);
  expect(refused).toBeInstanceOf(TooManyRequestsError);
  expect((refused as TooManyRequestsError).retryAfterSeconds).toBeGreaterThan(0);
  await limiter.consume('bob');

  await limiter.reset('alice');
  await limiter.consume('alice');
});
