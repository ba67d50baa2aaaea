import { rateLimits } from '@photogram/db';
import { createTestDatabase } from '@photogram/db/testing';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { TooManyRequestsError } from './errors';
import { createRateLimits, limitedAddress, SignInThrottle } from './rate-limit';

let database: Awaited<ReturnType<typeof createTestDatabase>>;
beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => {
  await database?.close();
});

const minute = 60;
let counter = 0;
/** A username (and an address) no other test uses: the counters live in one database. */
function fresh(prefix: string) {
  counter += 1;
  return `${prefix}${counter}`;
}

async function refusal(promise: Promise<unknown>): Promise<TooManyRequestsError> {
  const error = await promise.then(
    () => null,
    (caught: unknown) => caught,
  );
  if (!(error instanceof TooManyRequestsError)) throw new Error(`expected a 429, got ${error}`);
  return error;
}

const wrong = () => Promise.reject(new Error('wrong password'));
const right = () => Promise.resolve('signed in');

test('a limiter lets `points` attempts through per key, then refuses with the wait in words and seconds', async () => {
  const limits = createRateLimits({ signUpPerIp: { points: 2, duration: 10 * minute } }).in(
    database.db,
  );
  const ip = fresh('10.0.0.');
  await limits.signUpPerIp.consume(ip);
  await limits.signUpPerIp.consume(ip);
  const refused = await refusal(limits.signUpPerIp.consume(ip));
  // A fresh 10-minute window: the wait is said in whole minutes, and Retry-After agrees.
  expect(refused.retryAfterSeconds).toBe(10 * 60);
  expect(refused.message).toBe('Too many new accounts from your network. Try again in 10 minutes.');
  await limits.signUpPerIp.consume(fresh('10.0.0.'));

  await limits.signUpPerIp.reset(ip);
  await limits.signUpPerIp.consume(ip);
});

test('ten wrong passwords from one address do not lock the owner out from another', async () => {
  const limits = createRateLimits().in(database.db);
  const username = fresh('bob');
  const attacker = fresh('203.0.113.');
  const owner = fresh('198.51.100.');
  for (let i = 0; i < 10; i++) {
    await expect(limits.signIn.attempt({ username, ip: attacker }, wrong)).rejects.toThrow(
      'wrong password',
    );
  }
  let checked = false;
  const refused = await refusal(
    limits.signIn.attempt({ username, ip: attacker }, async () => {
      checked = true;
      return 'signed in';
    }),
  );
  // Throttled, the password is not even checked: a guess learns nothing.
  expect(checked).toBe(false);
  expect(refused.message).toBe('Too many sign-in attempts. Try again in 15 minutes.');
  expect(refused.retryAfterSeconds).toBe(15 * 60);

  expect(await limits.signIn.attempt({ username, ip: owner }, right)).toBe('signed in');
});

test('a correct password forgets the failures of that username and address, and successes cost nothing', async () => {
  const limits = createRateLimits({
    signInPerIp: { points: 20, duration: 15 * minute },
    signInPerUsernameAndIp: { points: 3, duration: 15 * minute },
  }).in(database.db);
  const username = fresh('carol');
  const ip = fresh('192.0.2.');
  for (let round = 0; round < 4; round++) {
    for (let i = 0; i < 2; i++) {
      await expect(limits.signIn.attempt({ username, ip }, wrong)).rejects.toThrow();
    }
    await limits.signIn.attempt({ username, ip }, right);
  }
  // Eight failures for a pair allowed three: each success forgot the pair's failures.
  // The address keeps counting its failures (not its successes).
  const counts = await database.db.select().from(rateLimits);
  const keys = SignInThrottle.keys(username, ip);
  expect(counts.find((row) => row.key === keys.pair)).toBeUndefined();
  expect(counts.find((row) => row.key === keys.ip)?.points).toBe(8);
});

test('a username failing from many addresses gets a smaller budget per address, but a first try still gets in', async () => {
  const limits = createRateLimits({
    signInPerUsername: { points: 20, duration: 60 * minute },
    signInUnderAttackPoints: 2,
  }).in(database.db);
  const username = fresh('dave');
  for (let address = 0; address < 7; address++) {
    const ip = fresh('100.64.0.');
    for (let i = 0; i < 3; i++) {
      await expect(limits.signIn.attempt({ username, ip }, wrong)).rejects.toThrow();
    }
  }
  // 21 failures: dave is under attack. A new address gets two failures, not ten…
  const guesser = fresh('100.64.1.');
  await expect(limits.signIn.attempt({ username, ip: guesser }, wrong)).rejects.toThrow();
  await expect(limits.signIn.attempt({ username, ip: guesser }, wrong)).rejects.toThrow();
  await refusal(limits.signIn.attempt({ username, ip: guesser }, wrong));
  // …and the owner, who has not failed, signs in at the first try.
  expect(await limits.signIn.attempt({ username, ip: fresh('100.64.2.') }, right)).toBe(
    'signed in',
  );
});

test('guesses sent in parallel cannot get past the budget', async () => {
  const limits = createRateLimits({
    signInPerUsernameAndIp: { points: 5, duration: 15 * minute },
  }).in(database.db);
  const username = fresh('erin');
  const ip = fresh('192.0.2.');
  let checked = 0;
  const results = await Promise.allSettled(
    Array.from({ length: 30 }, () =>
      limits.signIn.attempt({ username, ip }, async () => {
        checked += 1;
        throw new Error('wrong password');
      }),
    ),
  );
  expect(checked).toBe(5);
  expect(
    results.filter((r) => r.status === 'rejected' && r.reason instanceof TooManyRequestsError),
  ).toHaveLength(25);
});

test('two processes on one database count together', async () => {
  const options = { signInPerUsernameAndIp: { points: 4, duration: 15 * minute } };
  // Each server process builds its own RateLimits; only the database is shared.
  const one = createRateLimits(options).in(database.db);
  const two = createRateLimits(options).in(database.db);
  const username = fresh('frank');
  const ip = fresh('192.0.2.');
  await expect(one.signIn.attempt({ username, ip }, wrong)).rejects.toThrow();
  await expect(two.signIn.attempt({ username, ip }, wrong)).rejects.toThrow();
  await expect(one.signIn.attempt({ username, ip }, wrong)).rejects.toThrow();
  await expect(two.signIn.attempt({ username, ip }, wrong)).rejects.toThrow();
  await refusal(one.signIn.attempt({ username, ip }, right));
  await refusal(two.signIn.attempt({ username, ip }, right));
});

test('addresses are counted as IPv4 addresses and IPv6 /64s', () => {
  expect(limitedAddress('203.0.113.9')).toBe('203.0.113.9');
  expect(limitedAddress('::ffff:203.0.113.9')).toBe('203.0.113.9');
  expect(limitedAddress('2001:db8:abcd:12:1:2:3:4')).toBe('2001:db8:abcd:12::/64');
  expect(limitedAddress('2001:0db8:abcd:0012::ffff')).toBe('2001:db8:abcd:12::/64');
  expect(limitedAddress('2001:db8::1')).toBe('2001:db8:0:0::/64');
  expect(limitedAddress('::1')).toBe('0:0:0:0::/64');
  expect(limitedAddress('fe80::1%eth0')).toBe('fe80:0:0:0::/64');
});

test('one IPv6 /64 is one address: a guesser cannot rotate through its own subnet', async () => {
  const limits = createRateLimits({
    signInPerUsernameAndIp: { points: 3, duration: 15 * minute },
  }).in(database.db);
  const username = fresh('grace');
  for (let host = 1; host <= 3; host++) {
    await expect(
      limits.signIn.attempt({ username, ip: `2001:db8:77:${counter}::${host}` }, wrong),
    ).rejects.toThrow('wrong password');
  }
  await refusal(limits.signIn.attempt({ username, ip: `2001:db8:77:${counter}::99` }, wrong));
});
