import type { AppRouter } from '@photogram/api';
import {
  createTRPCClient,
  httpBatchLink,
  httpLink,
  httpSubscriptionLink,
  isNonJsonSerializable,
  splitLink,
} from '@trpc/client';
import { EventSource } from 'eventsource';
import superjson from 'superjson';

export interface ClientOptions {
  /** The `Origin` header to send; the server's own by default, null for none. */
  origin?: string | null;
  /** A bearer token instead of cookies. */
  token?: string;
}

/**
 * The real tRPC client with a one-person cookie jar, as a browser tab would be:
 * it keeps the session cookie the server sets and sends it back.
 */
export function createTestClient(baseUrl: string, options: ClientOptions = {}) {
  const jar = new Map<string, string>();
  const origin = options.origin === undefined ? baseUrl : options.origin;

  const fetchWithJar: typeof fetch = async (input, init) => {
    const headers = new Headers(init?.headers);
    if (jar.size > 0) headers.set('cookie', cookieHeader());
    if (origin) headers.set('origin', origin);
    if (options.token) headers.set('authorization', `Bearer ${options.token}`);
    const response = await fetch(input, { ...init, headers });
    for (const setCookie of response.headers.getSetCookie()) {
      const [pair = ''] = setCookie.split(';');
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      if (value === '' || /max-age=0/i.test(setCookie)) jar.delete(name);
      else jar.set(name, value);
    }
    return response;
  };

  function cookieHeader() {
    return [...jar].map(([name, value]) => `${name}=${value}`).join('; ');
  }

  const url = `${baseUrl}/trpc`;
  const client = createTRPCClient<AppRouter>({
    links: [
      splitLink({
        condition: (op) => op.type === 'subscription',
        // Node has no EventSource: the `eventsource` package's, with the jar's cookies.
        true: httpSubscriptionLink({
          url,
          transformer: superjson,
          EventSource,
          eventSourceOptions: () => ({ fetch: fetchWithJar }),
        }),
        false: splitLink({
          condition: (op) => isNonJsonSerializable(op.input),
          true: httpLink({ url, transformer: superjson, fetch: fetchWithJar }),
          false: httpBatchLink({ url, transformer: superjson, fetch: fetchWithJar }),
        }),
      }),
    ],
  });

  return {
    client,
    fetch: fetchWithJar,
    /** The `Cookie` header this client sends, e.g. to replay it after sign-out. */
    cookieHeader,
    setCookies(header: string) {
      jar.clear();
      for (const part of header.split(';')) {
        const [name, value] = part.trim().split('=');
        if (name && value) jar.set(name, value);
      }
    },
  };
}

let counter = 0;
/** A username no other test uses. */
export function uniqueUsername(prefix = 'user') {
  counter += 1;
  return `${prefix}_${Date.now().toString(36)}${counter}`.slice(0, 30);
}
