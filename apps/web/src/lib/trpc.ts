import type { AppRouter } from '@photogram/api';
import { MAX_BATCH_CALLS } from '@photogram/contracts';
import { QueryClient } from '@tanstack/react-query';
import {
  createTRPCClient,
  httpBatchLink,
  httpLink,
  httpSubscriptionLink,
  isNonJsonSerializable,
  splitLink,
  TRPCClientError,
} from '@trpc/client';
import { createTRPCOptionsProxy } from '@trpc/tanstack-react-query';
import superjson from 'superjson';
import { xhrFetch } from './xhr-fetch';

const url = '/trpc';

export const queryClient = new QueryClient({
  defaultOptions: {
    queries: {
      staleTime: 30_000,
      // A 4xx will not get better by asking again.
      retry: (failures, error) =>
        !(error instanceof TRPCClientError && (error.data?.httpStatus ?? 500) < 500) &&
        failures < 2,
    },
  },
});

/**
 * Subscriptions over SSE, FormData (uploads) through `httpLink` (it cannot be batched),
 * everything else batched.
 */
export const trpcClient = createTRPCClient<AppRouter>({
  links: [
    splitLink({
      condition: (op) => op.type === 'subscription',
      true: httpSubscriptionLink({ url, transformer: superjson }),
      false: splitLink({
        condition: (op) => isNonJsonSerializable(op.input),
        true: httpLink({ url, transformer: superjson }),
        false: httpBatchLink({ url, transformer: superjson, maxItems: MAX_BATCH_CALLS }),
      }),
    }),
  ],
});

export const trpc = createTRPCOptionsProxy<AppRouter>({ client: trpcClient, queryClient });

/** A one-off client for an upload that reports how many bytes have gone up. */
export function uploadClient(onProgress: (fraction: number) => void) {
  return createTRPCClient<AppRouter>({
    links: [httpLink({ url, transformer: superjson, fetch: xhrFetch(onProgress) })],
  });
}

/** The sentence to show for a failed call, and the per-field messages when there are some. */
export function describeError(error: unknown): { message: string; fields: Record<string, string> } {
  if (error instanceof TRPCClientError) {
    const fields: Record<string, string> = {};
    const data: unknown = error.data;
    if (data && typeof data === 'object' && 'zodError' in data) {
      const zodError = data.zodError;
      if (zodError && typeof zodError === 'object' && 'fieldErrors' in zodError) {
        const fieldErrors = zodError.fieldErrors;
        if (fieldErrors && typeof fieldErrors === 'object') {
          for (const [name, messages] of Object.entries(fieldErrors)) {
            if (Array.isArray(messages) && typeof messages[0] === 'string')
              fields[name] = messages[0];
          }
        }
      }
    }
    return { message: error.message, fields };
  }
  return { message: 'Could not reach Photogram. Check your connection and try again.', fields: {} };
}
