import type { TRPCError } from '@trpc/server';
import { ServiceBusyError, TooManyRequestsError } from './errors';

/**
 * tRPC's `responseMeta` for the node-http handler: a response refused by a rate limit, or
 * for want of room (every decode slot taken), carries `Retry-After` (seconds), the same
 * wait its message says. In a batch the longest wait wins.
 */
export function retryAfterMeta({ errors }: { errors: readonly TRPCError[] }): {
  headers?: Record<string, string>;
} {
  let seconds = 0;
  for (const error of errors) {
    if (error.cause instanceof TooManyRequestsError || error.cause instanceof ServiceBusyError) {
      seconds = Math.max(seconds, error.cause.retryAfterSeconds);
    }
  }
  return seconds > 0 ? { headers: { 'retry-after': String(seconds) } } : {};
}
