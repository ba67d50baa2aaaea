import { AuthMessages } from '@photogram/contracts';
import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';
import { TooManyRequestsError } from './errors';

export interface Limit {
  /** Attempts allowed in one window. */
  points: number;
  /** Window length in seconds. */
  duration: number;
}

export interface RateLimitOptions {
  signInPerIp: Limit;
  signInPerUsername: Limit;
  signUpPerIp: Limit;
  uploadPerUser: Limit;
}

export const defaultRateLimits: RateLimitOptions = {
  signInPerIp: { points: 50, duration: 15 * 60 },
  signInPerUsername: { points: 10, duration: 15 * 60 },
  signUpPerIp: { points: 30, duration: 60 * 60 },
  uploadPerUser: { points: 60, duration: 60 * 60 },
};

/** One fixed-window counter; in memory, so it is per server process. */
export class Limiter {
  readonly #limiter: RateLimiterMemory;

  readonly #message: string;

  constructor(limit: Limit, message: string = AuthMessages.tooManyAttempts) {
    this.#message = message;
    this.#limiter = new RateLimiterMemory({ points: limit.points, duration: limit.duration });
  }

  /** Counts one attempt for `key`, or throws `TooManyRequestsError` when the window is full. */
  async consume(key: string): Promise<void> {
    try {
      await this.#limiter.consume(key);
    } catch (result: unknown) {
      if (result instanceof RateLimiterRes) {
        throw new TooManyRequestsError(this.#message, Math.ceil(result.msBeforeNext / 1000));
      }
      throw result;
    }
  }

  /** Forgets `key`, e.g. a username's failed sign-ins once it signs in. */
  async reset(key: string): Promise<void> {
    await this.#limiter.delete(key);
  }
}

export function createRateLimits(overrides: Partial<RateLimitOptions> = {}) {
  const options = { ...defaultRateLimits, ...overrides };
  return {
    signInPerIp: new Limiter(options.signInPerIp),
    signInPerUsername: new Limiter(options.signInPerUsername),
    signUpPerIp: new Limiter(options.signUpPerIp),
    uploadPerUser: new Limiter(
      options.uploadPerUser,
      'You are uploading too fast. Please wait a little.',
    ),
  };
}
export type RateLimits = ReturnType<typeof createRateLimits>;
