import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

/**
 * How long a client may take to send a request. Only receiving is bounded: a response
 * (an event stream above all) may stay open for hours.
 *
 * - `headersMs`: the request line and headers (Node's `headersTimeout`, answered 408).
 * - `bodyIdleMs`: a body that has started but sends no byte for this long is cut off
 *   with 408. This, not the total, is what ends a stalled body within seconds while a
 *   slow link may take its time over a 10 MiB photo.
 * - `requestMs`: the whole request, head and body (Node's `requestTimeout`, 408). Five
 *   minutes lets a 10 MiB upload through at 35 KB/s (about 280 kbit/s, a poor mobile
 *   uplink); anything slower is treated as hostile.
 * - `keepAliveMs`: an idle connection between requests. Longer than the 60 s idle
 *   timeout of common load balancers, which must be the ones to close first.
 * - `checkIntervalMs`: how often stalled heads and bodies are looked for, so a stall is
 *   answered between `bodyIdleMs` and `bodyIdleMs + checkIntervalMs` after its last byte.
 */
export interface RequestTimeouts {
  headersMs: number;
  bodyIdleMs: number;
  requestMs: number;
  keepAliveMs: number;
  checkIntervalMs: number;
}

export const REQUEST_TIMEOUTS: RequestTimeouts = {
  headersMs: 10_000,
  bodyIdleMs: 10_000,
  requestMs: 300_000,
  keepAliveMs: 72_000,
  checkIntervalMs: 1_000,
};

const TIMEOUT_BODY = JSON.stringify({
  error: 'The request took too long to arrive. Please check your connection and try again.',
});
const TIMEOUT_RESPONSE = [
  'HTTP/1.1 408 Request Timeout',
  'Connection: close',
  'Content-Type: application/json; charset=utf-8',
  `Content-Length: ${Buffer.byteLength(TIMEOUT_BODY)}`,
  '',
  TIMEOUT_BODY,
].join('\r\n');

interface Receiving {
  socket: Socket;
  res: ServerResponse;
  bytesRead: number;
  since: number;
}

/**
 * Cuts off request bodies that stop arriving. It watches the socket's byte count rather
 * than the body stream, so it neither consumes nor slows what the route reads; a body
 * the server itself is not reading (data waiting in the request) is not the client's
 * stall and is left alone.
 */
export function watchStalledBodies(options: { bodyIdleMs: number; checkIntervalMs: number }) {
  const receiving = new Map<IncomingMessage, Receiving>();
  let timer: NodeJS.Timeout | null = null;

  function check() {
    const now = Date.now();
    for (const [req, entry] of receiving) {
      if (req.complete || entry.socket.destroyed || entry.res.writableEnded) {
        receiving.delete(req);
        continue;
      }
      if (entry.socket.bytesRead !== entry.bytesRead || req.readableLength > 0) {
        entry.bytesRead = entry.socket.bytesRead;
        entry.since = now;
        continue;
      }
      if (now - entry.since < options.bodyIdleMs) continue;
      receiving.delete(req);
      // Written straight to the socket, as Node writes its own 408: the route owns the
      // response object and may be halfway through reading the body.
      if (entry.res.headersSent) entry.socket.destroy();
      else entry.socket.end(TIMEOUT_RESPONSE, () => entry.socket.destroy());
    }
    if (receiving.size === 0 && timer) {
      clearInterval(timer);
      timer = null;
    }
  }

  return {
    /** Starts watching a request whose body may still be on its way. */
    watch(req: IncomingMessage, res: ServerResponse) {
      if (req.complete) return;
      const { socket } = req;
      receiving.set(req, { socket, res, bytesRead: socket.bytesRead, since: Date.now() });
      timer ??= setInterval(check, options.checkIntervalMs).unref();
    },
    close() {
      if (timer) clearInterval(timer);
      timer = null;
      receiving.clear();
    },
  };
}

/**
 * At most `perAddress` open connections from one client address; the ones beyond are
 * destroyed on arrival. Nothing can be answered before HTTP is spoken, so there is no
 * 503 here: the client sees a reset and its other connections go on. Addresses in
 * `exempt` (a local reverse proxy, which is everyone at once) are not counted.
 */
export function capConnectionsPerAddress(
  server: Server,
  options: { perAddress: number; exempt?: readonly string[] },
) {
  const open = new Map<string, number>();
  const exempt = new Set(options.exempt ?? []);
  server.on('connection', (socket: Socket) => {
    const address = socket.remoteAddress;
    if (address === undefined || exempt.has(address)) return;
    const count = open.get(address) ?? 0;
    if (count >= options.perAddress) {
      socket.destroy();
      return;
    }
    open.set(address, count + 1);
    socket.once('close', () => {
      const left = (open.get(address) ?? 1) - 1;
      if (left <= 0) open.delete(address);
      else open.set(address, left);
    });
  });
}
