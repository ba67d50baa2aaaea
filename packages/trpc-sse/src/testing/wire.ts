import { connect } from 'node:net';
import superjson from 'superjson';

/** `/trpc/<path>?input=<superjson JSON>`, as `httpSubscriptionLink` builds it. */
export function subscriptionUrl(
  origin: string,
  path: string,
  input?: unknown,
  extra: Record<string, string> = {},
  prefix = '/trpc/',
): string {
  const url = new URL(`${prefix}${path}`, origin);
  if (input !== undefined)
    url.searchParams.set('input', JSON.stringify(superjson.serialize(input)));
  for (const [key, value] of Object.entries(extra)) url.searchParams.set(key, value);
  return url.toString();
}

export interface RawResponse {
  status: number;
  contentType: string | null;
  cacheControl: string | null;
  body: string;
}

/**
 * A plain `fetch`, read to the end of the body (the procedures it is used on end their streams).
 * A body still open after `timeoutMs` fails with what had arrived by then.
 */
export async function fetchRaw(
  url: string,
  headers: Record<string, string> = {},
  timeoutMs = 3_000,
): Promise<RawResponse> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), timeoutMs);
  let body = '';
  try {
    const res = await fetch(url, { headers, signal: controller.signal });
    const decoder = new TextDecoder();
    try {
      for await (const chunk of res.body ?? []) body += decoder.decode(chunk, { stream: true });
    } catch (cause) {
      if (!controller.signal.aborted) throw cause;
      throw new Error(
        `${url}: the body had not ended after ${timeoutMs} ms; received: ${JSON.stringify(body)}`,
      );
    }
    return {
      status: res.status,
      contentType: res.headers.get('content-type'),
      cacheControl: res.headers.get('cache-control'),
      body: body + decoder.decode(),
    };
  } finally {
    clearTimeout(timer);
  }
}

export interface Frame {
  event?: string;
  data?: string;
  id?: string;
}

/** The fields of each SSE frame in `body`, in order; comments dropped. */
export function parseFrames(body: string): Frame[] {
  return body
    .split(/\n\n+/)
    .filter((block) => block.trim() !== '')
    .map((block) => {
      const frame: Frame = {};
      for (const line of block.split('\n')) {
        if (line.startsWith(':')) continue;
        const colon = line.indexOf(':');
        const field = colon === -1 ? line : line.slice(0, colon);
        const value = colon === -1 ? '' : line.slice(colon + 1).replace(/^ /, '');
        if (field === 'event' || field === 'data' || field === 'id') frame[field] = value;
      }
      return frame;
    });
}

/** A frame's `data`, parsed and run back through superjson. */
export function frameData(frame: Frame | undefined): unknown {
  if (frame?.data === undefined) throw new Error(`frame has no data: ${JSON.stringify(frame)}`);
  return superjson.deserialize(JSON.parse(frame.data));
}

/** The ids of the frames that are tracked messages (no `event`, non-empty `id`). */
export function trackedIds(frames: Frame[]): string[] {
  return frames.flatMap((f) => (f.event === undefined && f.id ? [f.id] : []));
}

/** Polls `predicate` every 10 ms until it holds; fails with `what` after `timeoutMs`. */
export async function until(
  predicate: () => boolean,
  what: string,
  timeoutMs = 5_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/**
 * A GET for an SSE stream on a bare socket that is paused and never read: a client that
 * stopped reading. `drain()` resumes it and resolves with everything received once the
 * server closes the connection.
 */
export function stalledRequest(url: string) {
  const { hostname, port, pathname, search, host } = new URL(url);
  const socket = connect({ host: hostname, port: Number(port) });
  socket.pause();
  socket.write(
    `GET ${pathname}${search} HTTP/1.1\r\nHost: ${host}\r\nAccept: text/event-stream\r\n\r\n`,
  );
  let closed = false;
  socket.on('close', () => {
    closed = true;
  });
  socket.on('error', () => {
    // a reset is one way for the server to close it
  });
  return {
    isClosed: () => closed,
    drain: () =>
      new Promise<string>((resolve) => {
        let text = '';
        socket.on('data', (chunk: Buffer) => {
          text += chunk.toString('latin1');
        });
        if (closed) resolve(text);
        socket.on('close', () => resolve(text));
        socket.resume();
      }),
    destroy: () => socket.destroy(),
  };
}
