import { isIPv4, isIPv6 } from 'node:net';
import { AuthMessages, roundWait, waitInWords } from '@photogram/contracts';
import { type Database, rateLimits } from '@photogram/db';
import { and, gt, inArray, lt, sql } from 'drizzle-orm';
import { TooManyRequestsError } from './errors';

export interface Limit {
  /** Attempts allowed in one window. */
  points: number;
  /** Window length in seconds. */
  duration: number;
}

/** See docs/decisions/007-sign-in-throttling-and-hashed-sessions.md. */
export interface RateLimitOptions {
  /** Failed sign-ins from one address, whatever the usernames. */
  signInPerIp: Limit;
  /** Failed sign-ins for one username from one address. */
  signInPerUsernameAndIp: Limit;
  /**
   * Failed sign-ins for one username from every address together. Past it the username
   * is under attack: each address then gets `signInUnderAttackPoints` failures per
   * `signInPerUsernameAndIp` window instead. It slows a guesser with many addresses; it
   * never refuses an address that has not failed, so the owner still gets in.
   */
  signInPerUsername: Limit;
  signInUnderAttackPoints: number;
  /** Sign-ups from one address, successful or not. */
  signUpPerIp: Limit;
  /** Uploads per user. */
  uploadPerUser: Limit;
  /** Comments per user. */
  commentPerUser: Limit;
  /** Likes, unlikes, follows and unfollows per user: each can notify someone. */
  reactPerUser: Limit;
}

export const defaultRateLimits: RateLimitOptions = {
  signInPerIp: { points: 50, duration: 15 * 60 },
  signInPerUsernameAndIp: { points: 10, duration: 15 * 60 },
  signInPerUsername: { points: 100, duration: 60 * 60 },
  signInUnderAttackPoints: 3,
  signUpPerIp: { points: 30, duration: 60 * 60 },
  uploadPerUser: { points: 60, duration: 60 * 60 },
  commentPerUser: { points: 120, duration: 60 * 60 },
  reactPerUser: { points: 1_000, duration: 60 * 60 },
};

/** Expired counters are deleted at most this often per process. */
const SWEEP_INTERVAL_MS = 10 * 60 * 1000;

interface Count {
  points: number;
  /** Seconds until the counter's window ends. */
  secondsLeft: number;
}

/**
 * Fixed-window counters in the `rate_limits` table, so that every process on one
 * database counts together and a restart forgets nothing. Each operation is one
 * statement; the database's clock is the only one used.
 */
class Counters {
  readonly #db: Database;
  readonly #sweep: () => Promise<void>;

  constructor(db: Database, sweep: () => Promise<void>) {
    this.#db = db;
    this.#sweep = sweep;
  }

  /**
   * Adds one to each counter (starting a new window of `duration` seconds for one whose
   * window has passed) and returns the counts, by key.
   */
  async hit(
    entries: ReadonlyArray<{ key: string; duration: number }>,
  ): Promise<Map<string, Count>> {
    await this.#sweep();
    // One order for every statement, so that two requests locking the same rows cannot
    // deadlock.
    const sorted = [...entries].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    const rows = await this.#db
      .insert(rateLimits)
      .values(
        sorted.map(({ key, duration }) => ({
          key,
          points: 1,
          expiresAt: sql`now() + ${Math.ceil(duration)}::integer * interval '1 second'`,
        })),
      )
      .onConflictDoUpdate({
        target: rateLimits.key,
        set: {
          points: sql`case when ${rateLimits.expiresAt} <= now() then 1 else ${rateLimits.points} + 1 end`,
          expiresAt: sql`case when ${rateLimits.expiresAt} <= now() then excluded.expires_at else ${rateLimits.expiresAt} end`,
        },
      })
      .returning({
        key: rateLimits.key,
        points: rateLimits.points,
        secondsLeft: sql<number>`ceil(extract(epoch from ${rateLimits.expiresAt} - now()))::integer`,
      });
    return new Map(rows.map(({ key, points, secondsLeft }) => [key, { points, secondsLeft }]));
  }

  /** Takes back one count from each counter still in its window (an attempt that did not count). */
  async refund(keys: readonly string[]): Promise<void> {
    if (keys.length === 0) return;
    await this.#db
      .update(rateLimits)
      .set({ points: sql`greatest(${rateLimits.points} - 1, 0)` })
      .where(inArray(rateLimits.key, this.#lockedInOrder(keys)));
  }

  /** Forgets these counters altogether. */
  async reset(keys: readonly string[]): Promise<void> {
    if (keys.length === 0) return;
    await this.#db
      .delete(rateLimits)
      .where(inArray(rateLimits.key, this.#lockedInOrder(keys, { expired: true })));
  }

  /**
   * The rows of `keys` (still in their window, unless `expired`), locked in key order
   * first: an UPDATE or DELETE by `key in (…)` locks rows in whatever order it scans them
   * (heap order on a small table), and against `hit`, which locks in key order, two
   * requests for the same person could deadlock (seen on PostgreSQL with 30 parallel
   * guesses).
   */
  #lockedInOrder(keys: readonly string[], { expired = false } = {}) {
    return this.#db
      .select({ key: rateLimits.key })
      .from(rateLimits)
      .where(
        expired
          ? inArray(rateLimits.key, [...keys])
          : and(inArray(rateLimits.key, [...keys]), gt(rateLimits.expiresAt, sql`now()`)),
      )
      .orderBy(rateLimits.key)
      .for('update');
  }
}

/**
 * The address a limit counts by: an IPv4 address as it is (an IPv4-mapped IPv6 one as the
 * IPv4 it maps), an IPv6 address as its /64. One subscriber line gets a whole /64, so
 * counting each of its 2^64 addresses apart would give a guesser as many budgets.
 */
export function limitedAddress(ip: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  if (mapped?.[1]) return mapped[1];
  if (isIPv4(ip) || !isIPv6(ip)) return ip;
  const [head = '', tail] = ip.toLowerCase().split('::');
  const left = head === '' ? [] : head.split(':');
  const right = tail === undefined || tail === '' ? [] : tail.split(':');
  const groups = [
    ...left,
    ...Array(Math.max(0, 8 - left.length - right.length)).fill('0'),
    ...right,
  ];
  return `${groups
    .slice(0, 4)
    .map((group) => group.replace(/^0+(?=.)/, ''))
    .join(':')}::/64`;
}

function tooMany(secondsLeft: number, message: (wait: string) => string): TooManyRequestsError {
  // The header and the sentence say the same wait: "4 minutes" is Retry-After: 240.
  return new TooManyRequestsError(message(waitInWords(secondsLeft)), roundWait(secondsLeft));
}

/** One fixed-window limit on attempts of one kind: every attempt counts. */
export class Limiter {
  readonly #counters: Counters;
  readonly #name: string;
  readonly #limit: Limit;
  readonly #message: (wait: string) => string;
  readonly #keyOf: (key: string) => string;

  constructor(
    counters: Counters,
    name: string,
    limit: Limit,
    message: (wait: string) => string,
    /** What is counted for a key, e.g. `limitedAddress` for an address. */
    keyOf: (key: string) => string = (key) => key,
  ) {
    this.#counters = counters;
    this.#name = name;
    this.#limit = limit;
    this.#message = message;
    this.#keyOf = keyOf;
  }

  /** Counts one attempt for `key`, or throws `TooManyRequestsError` when the window is full. */
  async consume(key: string): Promise<void> {
    const counterKey = `${this.#name}:${this.#keyOf(key)}`;
    const count = (
      await this.#counters.hit([{ key: counterKey, duration: this.#limit.duration }])
    ).get(counterKey);
    if (!count) throw new Error(`rate limit counter ${this.#name} returned no row`);
    if (count.points > this.#limit.points) {
      // A refused attempt is not one more: the count stays at the limit.
      await this.#counters.refund([counterKey]);
      throw tooMany(count.secondsLeft, this.#message);
    }
  }

  /** Forgets `key`'s attempts. */
  async reset(key: string): Promise<void> {
    await this.#counters.reset([`${this.#name}:${this.#keyOf(key)}`]);
  }
}

/**
 * Sign-in throttling that cannot lock an owner out: failures count per (username,
 * address) and per address, so a guesser elsewhere uses up only its own budget; a
 * username failing from many addresses gets a smaller budget per address (see
 * `RateLimitOptions.signInPerUsername`). Only failures count.
 */
export class SignInThrottle {
  readonly #counters: Counters;
  readonly #options: RateLimitOptions;

  constructor(counters: Counters, options: RateLimitOptions) {
    this.#counters = counters;
    this.#options = options;
  }

  /** The counter keys of one attempt; an address holds no `|`, so none can collide. */
  static keys(username: string, address: string) {
    const ip = limitedAddress(address);
    return {
      ip: `sign-in:ip:${ip}`,
      pair: `sign-in:ip-username:${ip}|${username}`,
      username: `sign-in:username:${username}`,
    };
  }

  /**
   * Runs `verify` (the password check) unless this (username, address) or this address
   * has failed too often, in which case it throws `TooManyRequestsError` without
   * checking the password at all: a throttled guess learns nothing. A failure (whatever
   * `verify` throws) is counted; a success forgets the pair's failures and counts nothing.
   */
  async attempt<T>(params: { username: string; ip: string }, verify: () => Promise<T>): Promise<T> {
    const options = this.#options;
    const keys = SignInThrottle.keys(params.username, params.ip);
    // Counted before the check, in one statement, so that parallel guesses cannot all
    // pass a check made before any of them had failed; refunded below when not a failure.
    const counts = await this.#counters.hit([
      { key: keys.ip, duration: options.signInPerIp.duration },
      { key: keys.pair, duration: options.signInPerUsernameAndIp.duration },
      { key: keys.username, duration: options.signInPerUsername.duration },
    ]);
    const ip = counts.get(keys.ip);
    const pair = counts.get(keys.pair);
    const username = counts.get(keys.username);
    if (!ip || !pair || !username) throw new Error('sign-in rate limit counters returned no row');

    const underAttack = username.points > options.signInPerUsername.points;
    const pairLimit = underAttack
      ? Math.min(options.signInUnderAttackPoints, options.signInPerUsernameAndIp.points)
      : options.signInPerUsernameAndIp.points;
    const waits: number[] = [];
    if (ip.points > options.signInPerIp.points) waits.push(ip.secondsLeft);
    if (pair.points > pairLimit) waits.push(pair.secondsLeft);
    if (waits.length > 0) {
      await this.#counters.refund([keys.ip, keys.pair, keys.username]);
      throw tooMany(Math.max(...waits), AuthMessages.tooManySignIns);
    }

    const result = await verify();
    await Promise.all([
      this.#counters.reset([keys.pair]),
      this.#counters.refund([keys.ip, keys.username]),
    ]);
    return result;
  }
}

/**
 * The limits of one process: their configuration, shared by every request. The counters
 * live in the database; `in(db)` gives the limiters that count there.
 */
export class RateLimits {
  readonly options: RateLimitOptions;
  #lastSweep = 0;

  constructor(options: RateLimitOptions) {
    this.options = options;
  }

  /** The limiters, counting in `db` (the request's database). */
  in(db: Database) {
    const counters = new Counters(db, () => this.#sweep(db));
    const { options } = this;
    return {
      signIn: new SignInThrottle(counters, options),
      signUpPerIp: new Limiter(
        counters,
        'sign-up:ip',
        options.signUpPerIp,
        AuthMessages.tooManySignUps,
        limitedAddress,
      ),
      uploadPerUser: new Limiter(
        counters,
        'upload:user',
        options.uploadPerUser,
        (wait) => `You are uploading too fast. Try again in ${wait}.`,
      ),
      commentPerUser: new Limiter(
        counters,
        'comment:user',
        options.commentPerUser,
        (wait) => `You are commenting too fast. Try again in ${wait}.`,
      ),
      reactPerUser: new Limiter(
        counters,
        'react:user',
        options.reactPerUser,
        (wait) => `You are liking and following too fast. Try again in ${wait}.`,
      ),
    };
  }

  /** Deletes counters whose window has passed, at most every SWEEP_INTERVAL_MS. */
  async #sweep(db: Database): Promise<void> {
    const now = Date.now();
    if (now - this.#lastSweep < SWEEP_INTERVAL_MS) return;
    this.#lastSweep = now;
    await db.delete(rateLimits).where(lt(rateLimits.expiresAt, sql`now()`));
  }
}

export function createRateLimits(overrides: Partial<RateLimitOptions> = {}): RateLimits {
  return new RateLimits({ ...defaultRateLimits, ...overrides });
}
export type BoundRateLimits = ReturnType<RateLimits['in']>;
