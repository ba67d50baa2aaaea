import type { IncomingMessage } from 'node:http';
import {
  type AppRouter,
  type Context,
  type ContextRequest,
  retryAfterMeta,
  ServiceBusyError,
} from '@photogram/api';
import { MAX_BATCH_CALLS } from '@photogram/contracts';
import { createSSEHandler, type SSEHandler } from '@photogram/trpc-sse';
import { TRPCError } from '@trpc/server';
import { nodeHTTPRequestHandler } from '@trpc/server/adapters/node-http';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

export interface TrpcRouteOptions {
  router: AppRouter;
  createContext(request: ContextRequest): Promise<Context>;
  /** Cap for JSON bodies. */
  maxJsonBytes: number;
  /** Cap for multipart bodies (uploads): the photo limit plus room for the other fields. */
  maxMultipartBytes: number;
  /**
   * Who serves subscriptions: `trpc-sse` (`@photogram/trpc-sse`) or `stock`, tRPC's own
   * SSE: the route then hands every request to tRPC's handler, as it does queries. Kept
   * as an operator's fallback that needs no deploy, for the benchmark's comparison and
   * for the tests that show the bus's bound holds on either path (decision 005).
   */
  sseTransport: 'trpc-sse' | 'stock';
  /** Whether this call arrived while the server drains: it is refused with a 503. */
  isRefused(request: IncomingMessage): boolean;
  /** The `Retry-After` of that 503. */
  retryAfterSeconds: number;
}

/** What the server still needs from the route once it is mounted. */
export interface TrpcRoute {
  /** Ends every open event stream, so its client reconnects to whichever server answers. */
  closeStreams(): Promise<void>;
}

/** What createContext throws while draining, so the refusal has tRPC's own error shape. */
const restarting = (retryAfterSeconds: number) => {
  // The cause marks the message as ours, so it reaches the person as written.
  const cause = new ServiceBusyError(
    'The server is restarting. Please try again in a moment.',
    retryAfterSeconds,
  );
  return new TRPCError({ code: 'SERVICE_UNAVAILABLE', message: cause.message, cause });
};

function toHeaders(request: FastifyRequest): Headers {
  const headers = new Headers();
  for (const [name, value] of Object.entries(request.headers)) {
    if (Array.isArray(value)) for (const item of value) headers.append(name, item);
    else if (value !== undefined) headers.set(name, value);
  }
  return headers;
}

/**
 * How long a dropped event stream's client waits before it reconnects, picked at random
 * per stream so that clients dropped together (a restart) come back spread out rather
 * than all on the same default 3 s tick. The window grows with the streams this process
 * holds — `perStreamMs` each, about what one resume costs the server — so a restart is
 * taken back at roughly the rate the server can serve resumes: 1–5 s for a few hundred
 * streams, 1–21 s for 10,000, never more than a minute.
 */
export const RECONNECT_DELAY_MS = {
  min: 1_000,
  max: 5_000,
  perStreamMs: 2,
  ceiling: 60_000,
} as const;
export function reconnectDelay(openStreams: number, random = Math.random()): number {
  const { min, max, perStreamMs, ceiling } = RECONNECT_DELAY_MS;
  const window = Math.min(Math.max(max, min + openStreams * perStreamMs), ceiling);
  return min + random * (window - min);
}

/** Security headers an event stream keeps: no sniffing, no embedding by other sites. */
const STREAM_HEADERS = new Set(['x-content-type-options', 'cross-origin-resource-policy']);

/**
 * The request as the API sees it. Only the raw request and response are captured: a
 * subscription keeps its context for hours, and Fastify's wrappers need not live as long.
 */
function contextRequest(request: FastifyRequest, reply: FastifyReply): ContextRequest {
  const { raw } = request;
  const res = reply.raw;
  return {
    headers: toHeaders(request),
    ip: request.ip,
    allowedOrigins: [`${request.protocol}://${request.host}`],
    setCookie: (cookie) => {
      res.appendHeader('set-cookie', cookie);
    },
    disconnect: () => {
      raw.socket.destroy();
    },
  };
}

/**
 * tRPC at `/trpc/:path`, through tRPC's node-http handler rather than its Fastify
 * adapter (decision 004): every body reaches tRPC unparsed, so tRPC alone answers body
 * errors, in its own shape — PAYLOAD_TOO_LARGE (413) as soon as a JSON or multipart body
 * passes its `maxBodySize`, UNSUPPORTED_MEDIA_TYPE (415) for other types — and event
 * streams can be handed to `@photogram/trpc-sse` on the raw response first.
 */
export async function trpcRoute(
  app: FastifyInstance,
  options: TrpcRouteOptions,
): Promise<TrpcRoute> {
  const sse: SSEHandler | null =
    options.sseTransport === 'trpc-sse'
      ? createSSEHandler({
          router: options.router,
          reconnectDelayMs: () => reconnectDelay(sse?.openStreams ?? 0),
          onError: ({ error, path }) => {
            if (error.code === 'INTERNAL_SERVER_ERROR') {
              app.log.error({ err: error.cause ?? error, path }, 'tRPC subscription failed');
            }
          },
        })
      : null;
  // Before Fastify drops the sockets: end every stream cleanly so clients reconnect.
  // (Shutdown ends them earlier, in `closeStreams`; then this finds none left.)
  if (sse) app.addHook('preClose', () => sse.close());

  await app.register(async (scope) => {
    // tRPC reads every body itself, so Fastify must leave the stream untouched.
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', (_request, _payload, done) => done(null, undefined));

    scope.all<{ Params: { path: string } }>('/trpc/:path', async (request, reply) => {
      reply.hijack();
      if (sse && request.method === 'GET') {
        // An event stream is no document: most of helmet's headers mean nothing to it, and
        // a response keeps its header block in memory for as long as it is open.
        const documentHeaders = reply.raw.getHeaders();
        for (const name of Object.keys(documentHeaders)) {
          if (!STREAM_HEADERS.has(name)) reply.raw.removeHeader(name);
        }
        const served = await sse.handle(request.raw, reply.raw, request.params.path, () =>
          options.createContext(contextRequest(request, reply)),
        );
        if (served) return;
        for (const [name, value] of Object.entries(documentHeaders)) {
          if (value !== undefined) reply.raw.setHeader(name, value);
        }
      }
      const multipart = request.headers['content-type']?.startsWith('multipart/form-data') ?? false;
      const refused = options.isRefused(request.raw);
      if (refused) {
        reply.raw.setHeader('retry-after', String(options.retryAfterSeconds));
        reply.raw.setHeader('connection', 'close');
      }
      await nodeHTTPRequestHandler({
        router: options.router,
        req: request.raw,
        res: reply.raw,
        path: request.params.path,
        maxBodySize: multipart ? options.maxMultipartBytes : options.maxJsonBytes,
        maxBatchSize: MAX_BATCH_CALLS,
        // A 429 says when to come back (`Retry-After`), as its message does.
        responseMeta: retryAfterMeta,
        createContext: () =>
          refused
            ? Promise.reject(restarting(options.retryAfterSeconds))
            : options.createContext(contextRequest(request, reply)),
        onError: ({ error, path }) => {
          if (error.code === 'INTERNAL_SERVER_ERROR') {
            request.log.error({ err: error.cause ?? error, path }, 'tRPC procedure failed');
          }
        },
      });
    });
  });

  return {
    closeStreams: async () => {
      await sse?.close();
    },
  };
}
