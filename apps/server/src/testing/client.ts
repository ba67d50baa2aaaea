import type { AppRouter } from '@photogram/api';
import { createPhotogramClient } from '@photogram/client';
import { TRPCClientError } from '@trpc/client';

export interface ClientOptions {
  /** The `Origin` header to send; the server's own by default, null for none. */
  origin?: string | null;
  /** A bearer token instead of cookies. */
  token?: string;
  /** More headers on every request, e.g. `x-forwarded-for` to stand for another address. */
  headers?: Record<string, string>;
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
    for (const [name, value] of Object.entries(options.headers ?? {})) headers.set(name, value);
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

  // The same client other apps use, given a browser's cookie jar instead of a token.
  const client = createPhotogramClient({ url: baseUrl, fetch: fetchWithJar });

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

/** A person signed up through the API (a fresh username), with their own cookie jar. */
export async function signUpPerson(baseUrl: string, prefix = 'user') {
  const person = createTestClient(baseUrl);
  const { user } = await person.client.auth.signUp.mutate({
    username: uniqueUsername(prefix),
    password: 'password123',
  });
  return { ...person, user };
}
export type Person = Awaited<ReturnType<typeof signUpPerson>>;

let counter = 0;
/** A username no other test uses. */
export function uniqueUsername(prefix = 'user') {
  counter += 1;
  return `${prefix}_${Date.now().toString(36)}${counter}`.slice(0, 30);
}

/** The `TRPCClientError` a call fails with; fails the test if the call succeeds. */
export async function failure(promise: Promise<unknown>): Promise<TRPCClientError<AppRouter>> {
  try {
    await promise;
  } catch (error: unknown) {
    if (error instanceof TRPCClientError) return error;
    throw error;
  }
  throw new Error('expected the call to fail');
}
