import { MAX_BATCH_CALLS } from '@photogram/contracts/limits';
import {
  createTRPCClient,
  httpBatchLink,
  httpLink,
  httpSubscriptionLink,
  isNonJsonSerializable,
  splitLink,
  TRPCClientError,
} from '@trpc/client';
import type { inferRouterInputs, inferRouterOutputs } from '@trpc/server';
import { EventSource } from 'eventsource';
import superjson from 'superjson';
import type { AppRouter } from './router';

/** Inputs of every procedure, e.g. `RouterInputs['posts']['byUser']`. */
export type RouterInputs = inferRouterInputs<AppRouter>;
/** Outputs of every procedure, e.g. `RouterOutputs['feed']['list']`. */
export type RouterOutputs = inferRouterOutputs<AppRouter>;
export type { AppRouter };
export { TRPCClientError };

export interface PhotogramClientOptions {
  /** Where Photogram runs, e.g. `https://photos.example.com` (tRPC lives at `/trpc`). */
  url: string;
  /** An API token (`pgt_…`), sent as `Authorization: Bearer`, never in a URL. */
  token?: string | undefined;
  /** A `fetch` to use instead of the global one (cookies, proxies, tests). */
  fetch?: typeof fetch;
  /** Called while an upload's bytes go out: bytes sent so far and the total, if known. */
  onUploadProgress?: (sent: number, total: number | null) => void;
}

/** The typed client `createPhotogramClient` returns. */
export type PhotogramClient = ReturnType<typeof createTRPCClient<AppRouter>>;

/**
 * A FormData body turned into a stream that counts its bytes, so an upload can report
 * progress in Node and in browsers alike.
 */
async function countedBody(
  form: FormData,
  onProgress: (sent: number, total: number | null) => void,
): Promise<{ body: ReadableStream<Uint8Array>; contentType: string; total: number | null }> {
  const encoded = new Request('http://photogram.invalid/', { method: 'POST', body: form });
  const contentType = encoded.headers.get('content-type') ?? 'multipart/form-data';
  const bytes = new Uint8Array(await encoded.arrayBuffer());
  const total = bytes.byteLength;
  const chunk = 64 * 1024;
  let offset = 0;
  const body = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (offset >= total) {
        controller.close();
        return;
      }
      const next = bytes.subarray(offset, Math.min(offset + chunk, total));
      offset += next.byteLength;
      controller.enqueue(next);
      onProgress(offset, total);
    },
  });
  return { body, contentType, total };
}

/**
 * The typed Photogram client for other apps and scripts. Queries and mutations are
 * batched, FormData uploads go through `httpLink`, and subscriptions use SSE through the
 * `eventsource` package, which carries the token in a header (browsers' own EventSource
 * cannot).
 *
 * ```ts
 * const photogram = createPhotogramClient({ url: 'http://127.0.0.1:3000', token });
 * const { items } = await photogram.feed.list.query({ limit: 10 });
 * ```
 */
export function createPhotogramClient(options: PhotogramClientOptions): PhotogramClient {
  const baseFetch = options.fetch ?? globalThis.fetch.bind(globalThis);
  const authedFetch: typeof fetch = async (input, init) => {
    const headers = new Headers(init?.headers);
    if (options.token) headers.set('authorization', `Bearer ${options.token}`);
    const body = init?.body;
    if (body instanceof FormData && options.onUploadProgress) {
      const counted = await countedBody(body, options.onUploadProgress);
      headers.set('content-type', counted.contentType);
      return baseFetch(input, {
        ...init,
        headers,
        body: counted.body,
        // Node's fetch needs this for a streamed request body.
        ...({ duplex: 'half' } as const),
      });
    }
    return baseFetch(input, { ...init, headers });
  };
  const url = new URL('/trpc', options.url).toString();
  return createTRPCClient<AppRouter>({
    links: [
      splitLink({
        condition: (op) => op.type === 'subscription',
        true: httpSubscriptionLink({
          url,
          transformer: superjson,
          EventSource,
          eventSourceOptions: () => ({ fetch: authedFetch }),
        }),
        false: splitLink({
          condition: (op) => isNonJsonSerializable(op.input),
          true: httpLink({ url, transformer: superjson, fetch: authedFetch }),
          false: httpBatchLink({
            url,
            transformer: superjson,
            fetch: authedFetch,
            maxItems: MAX_BATCH_CALLS,
          }),
        }),
      }),
    ],
  });
}

/** Image and thumbnail URLs come relative to the server; this makes them absolute. */
export function absoluteUrl(baseUrl: string, path: string): string {
  return new URL(path, baseUrl).toString();
}

export { terminalJson, terminalText } from './terminal-text';
