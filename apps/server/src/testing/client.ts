import { type AppRouter, SESSION_COOKIE } from '@photogram/api';
import { createPhotogramClient } from '@photogram/client';
import { TRPCClientError } from '@trpc/client';
import { parseSetCookie } from 'set-cookie-parser';

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
    // Values as sent: the server signs none and encodes none, and the jar sends them back.
    for (const cookie of parseSetCookie(response, { decodeValues: false })) {
      if (cookie.value === '' || cookie.maxAge === 0) jar.delete(cookie.name);
      else jar.set(cookie.name, cookie.value);
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
    /** The session cookie's value; fails the test when there is none. */
    session(): string {
      const value = jar.get(SESSION_COOKIE);
      if (value === undefined) throw new Error('this client holds no session cookie');
      return value;
    },
    /** Replaces the jar with the cookies of a `Cookie` header (another client's, say). */
    setCookies(header: string) {
      jar.clear();
      for (const pair of header.split(';')) {
        const eq = pair.indexOf('=');
        if (eq > 0) jar.set(pair.slice(0, eq).trim(), pair.slice(eq + 1).trim());
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
