import { SESSION_COOKIE } from '@photogram/api';
import { createPhotogramClient, type PhotogramClient } from '@photogram/client';

/** The `Cookie` header of a seeded session. */
export function sessionCookie(sessionId: string) {
  return `${SESSION_COOKIE}=${sessionId}`;
}

/**
 * The real typed client, signed in as a browser would be: the session cookie, and the
 * server's own `Origin`, which cookie-authenticated mutations must carry.
 */
export function signedInClient(baseUrl: string, sessionId: string): PhotogramClient {
  const cookie = sessionCookie(sessionId);
  return createPhotogramClient({
    url: baseUrl,
    fetch: (input, init) => {
      const headers = new Headers(init?.headers);
      headers.set('cookie', cookie);
      headers.set('origin', baseUrl);
      return fetch(input, { ...init, headers });
    },
  });
}

/** FormData for `posts.upload`, as a browser's file input sends it. */
export function uploadForm(bytes: Uint8Array, caption: string): FormData {
  const form = new FormData();
  form.set('image', new File([new Uint8Array(bytes)], 'photo.jpg', { type: 'image/jpeg' }));
  form.set('caption', caption);
  return form;
}
