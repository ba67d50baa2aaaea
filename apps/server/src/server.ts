import { existsSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join } from 'node:path';
import helmet from '@fastify/helmet';
import fastifyStatic from '@fastify/static';
import {
  appRouter,
  createAuth,
  createContext,
  createLocalMediaStorage,
  createRateLimits,
  DecodePool,
  isMediaKey,
  type MediaStorage,
  MemoryBus,
  mediaContentType,
  type NotificationBus,
  type RateLimitOptions,
  StreamCaps,
  type StreamLimits,
} from '@photogram/api';
import { MAX_JSON_BODY_BYTES, MAX_UPLOAD_BYTES_DEFAULT } from '@photogram/contracts';
import type { Database } from '@photogram/db';
import { sql } from 'drizzle-orm';
import Fastify, {
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
  type FastifyServerOptions,
} from 'fastify';
import {
  capConnectionsPerAddress,
  REQUEST_TIMEOUTS,
  type RequestTimeouts,
  watchStalledBodies,
} from './connection-bounds';
import { hostCheckHook } from './host-check';
import { withSafeLogging } from './log-redaction';
import { createMetrics, type Metrics, metricsRoute } from './metrics';
import { trpcRoute } from './trpc-route';
import { createUploadGate, type UploadGate } from './upload-gate';

/** How long each part of `/healthz` may take before it counts as down. */
const HEALTH_CHECK_TIMEOUT_MS = 2_000;
/** What clients refused during a drain are told to wait before trying again. */
const DRAIN_RETRY_AFTER_SECONDS = 5;

export interface ServerDeps {
  db: Database;
  /** The public origin when behind a proxy (`PUBLIC_ORIGIN`); https turns on `Secure` cookies and HSTS. */
  publicOrigin?: string | undefined;
  /** The built SPA (`apps/web/dist`); null serves no SPA. */
  webRoot?: string | null;
  logger?: FastifyServerOptions['logger'];
  rateLimits?: Partial<RateLimitOptions>;
  /** Media storage, or a folder for the local-disk one (`MEDIA_DIR`). */
  media: MediaStorage | string;
  /** The largest photo accepted (`MAX_UPLOAD_BYTES`). */
  maxUploadBytes?: number;
  /** The notification bus; an in-process one (closed with the server) when not given. */
  bus?: NotificationBus;
  /** Unread notifications after which a subscriber is dropped (it replays on reconnect). */
  subscriberQueueLimit?: number;
  /** Live streams one process serves per person and per address (`STREAM_LIMITS` otherwise). */
  streamLimits?: Partial<StreamLimits>;
  /** Who serves subscriptions (`SSE_TRANSPORT`): `trpc-sse` (default) or tRPC's `stock` SSE. */
  sseTransport?: 'trpc-sse' | 'stock';
  /** Bounds on receiving a request; `REQUEST_TIMEOUTS` for whatever is not given. */
  timeouts?: Partial<RequestTimeouts>;
  /** Open connections allowed per client address (`MAX_CONNECTIONS_PER_ADDRESS`); none when not given. */
  connectionCap?: { perAddress: number; exempt?: readonly string[] };
  /** Uploads in flight per client and in all (`createUploadGate()`, `UPLOAD_CAPS`, when not given). */
  uploadGate?: UploadGate;
  /** Where image decodes wait their turn (`new DecodePool()`, `DECODE_POOL`, when not given). */
  decodes?: DecodePool;
  /**
   * Which proxies' `X-Forwarded-For`/`-Host`/`-Proto` to believe (`TRUST_PROXY`), as
   * Fastify's `trustProxy`: addresses/CIDRs, or true for any. Off by default:
   * a client could otherwise pick its own address and escape the rate limits.
   */
  trustProxy?: FastifyServerOptions['trustProxy'];
  /** Host names besides `PUBLIC_ORIGIN`'s and `localhost` that are ours (`ALLOWED_HOSTS`); others get 421. */
  allowedHosts?: readonly string[];
  /**
   * Operators' figures (`createMetrics`): none when not given. With a `token`
   * (`METRICS_TOKEN`) they are also on this port at `/metrics` for its bearer; without,
   * only `app.metrics` holds them, for a port of their own (`METRICS_PORT`).
   */
  metrics?: { token?: string | undefined };
}

declare module 'fastify' {
  interface FastifyInstance {
    /**
     * The first step of shutting down: refuses new requests (503 with `Retry-After`; new
     * event streams are dropped so that they retry), waits up to `timeoutMs` for those in
     * flight to finish, then ends the event streams so clients reconnect elsewhere.
     * Resolves true if every request finished in time. `close()` comes next.
     */
    drain(timeoutMs: number): Promise<boolean>;
    /** This server's figures when `ServerDeps.metrics` asked for them, null otherwise. */
    metrics: Metrics | null;
  }
}

const NOT_FOUND = 'There is nothing at this address.';
const BAD_REQUEST = 'That request is not valid. Check the address and try again.';
const SERVER_ERROR = 'Something went wrong on our side. Please try again.';
/** What the non-tRPC routes say for an HTTP error, by status. */
const plainHttpMessages: Record<number, string> = {
  400: BAD_REQUEST,
  404: NOT_FOUND,
  405: 'That method is not supported here.',
  413: 'That request is too large.',
  415: 'That content type is not supported here.',
  500: SERVER_ERROR,
};

/** Paths that are never the SPA's: the API, media, health, metrics, and built files that are not there. */
const NOT_SPA = /^\/(trpc|media|healthz|livez|metrics|assets)(\/|\?|$)/;

/** Whether a GET of this path is a page of the SPA (answered with its `index.html`, whatever `Accept` says). */
function isSpaPath(url: string): boolean {
  return !NOT_SPA.test(url);
}

/** An event stream request, as EventSource sends it. */
function isEventStream(request: FastifyRequest): boolean {
  return (
    request.method === 'GET' && (request.headers.accept?.includes('text/event-stream') ?? false)
  );
}

/**
 * The Fastify app: tRPC at /trpc, /healthz, /livez, the SPA. Listening is the caller's
 * business; `drain()` comes before `close()` on shutdown.
 */
export async function buildServer(deps: ServerDeps) {
  const https = deps.publicOrigin?.startsWith('https:') ?? false;
  const timeouts = { ...REQUEST_TIMEOUTS, ...deps.timeouts };
  const app = Fastify({
    logger: withSafeLogging(deps.logger),
    trustProxy: deps.trustProxy ?? false,
    // Receiving a request is bounded; sending the response is not (see REQUEST_TIMEOUTS).
    requestTimeout: timeouts.requestMs,
    keepAliveTimeout: timeouts.keepAliveMs,
    http: {
      headersTimeout: timeouts.headersMs,
      connectionsCheckingInterval: timeouts.checkIntervalMs,
    },
    // Open SSE streams would otherwise keep `close()` waiting forever.
    forceCloseConnections: true,
    // `drain()` has refused new work by the time `close()` runs, and Fastify's own 503
    // would also reach event streams, which EventSource never retries after a non-200.
    return503OnClosing: false,
    // No route reads `request.query` (tRPC parses its own URL), but Fastify parses it for
    // every request and keeps it as long as the response is open: a subscription's
    // `?input=` would stay in memory as a string built character by character.
    // URLSearchParams decodes natively into flat strings.
    routerOptions: {
      querystringParser: (query) => Object.fromEntries(new URLSearchParams(query)),
      // `/trpc/:path` is a batch's procedure names joined by commas: Fastify's default of
      // 100 characters refused ten `posts.like` in one batch with a 400. Node's 16 KiB
      // header limit still bounds the whole URL; tRPC's `maxBatchSize` bounds the calls.
      maxParamLength: 8 * 1024,
    },
    // A URL that does not decode never reaches a route or the error handler below.
    frameworkErrors: (_error, _request, reply) => {
      // Typed generically over route schemas; this one has none.
      (reply as FastifyReply).code(400).send({ error: BAD_REQUEST });
    },
  });

  const media = typeof deps.media === 'string' ? createLocalMediaStorage(deps.media) : deps.media;
  const maxUploadBytes = deps.maxUploadBytes ?? MAX_UPLOAD_BYTES_DEFAULT;
  const bus = deps.bus ?? new MemoryBus();
  if (!deps.bus) app.addHook('onClose', () => bus.close());
  const inFlight = trackRequests();
  const stalledBodies = watchStalledBodies(timeouts);
  app.addHook('onClose', () => stalledBodies.close());
  if (deps.connectionCap && deps.connectionCap.perAddress > 0) {
    capConnectionsPerAddress(app.server, deps.connectionCap);
  }
  let draining = false;
  // tRPC calls that arrived while draining: the route answers them in tRPC's error shape.
  const refused = new WeakSet<IncomingMessage>();
  // A host name that is not ours (DNS rebinding) is refused before anything else.
  app.addHook(
    'onRequest',
    hostCheckHook({ publicOrigin: deps.publicOrigin, allowedHosts: deps.allowedHosts }),
  );
  // Before everything else, helmet included: a refused request costs nothing.
  app.addHook('onRequest', async (request, reply) => {
    stalledBodies.watch(request.raw, reply.raw);
    if (isEventStream(request)) {
      if (!draining) return;
      // A stream opened now would be ended in a moment. Dropping the connection is a
      // network error, which EventSource retries (a 503 would make it give up for good).
      reply.hijack();
      request.raw.socket.destroy();
      return;
    }
    inFlight.start(reply.raw);
    if (!draining) return;
    // Decided once, on arrival: a request admitted before the drain runs to its end.
    if (request.url.startsWith('/trpc/')) {
      refused.add(request.raw);
      return;
    }
    // Probes and scrapes go on answering: operators watch a drain through them.
    if (request.url === '/healthz' || request.url === '/livez' || request.url === '/metrics') {
      return;
    }
    return reply
      .code(503)
      .header('retry-after', String(DRAIN_RETRY_AFTER_SECONDS))
      .header('connection', 'close')
      .send({ error: 'The server is restarting. Please try again in a moment.' });
  });
  // Before the body is read: an upload refused here costs its headers, not its photo.
  const uploadGate = deps.uploadGate ?? createUploadGate();
  app.addHook('onRequest', uploadGate.onRequest);
  const streamCaps = new StreamCaps(deps.streamLimits);
  const decodes = deps.decodes ?? new DecodePool();

  const apiDeps = {
    db: deps.db,
    bus,
    subscriberQueueLimit: deps.subscriberQueueLimit,
    streamCaps,
    reportError: (error: unknown, message: string) => app.log.error({ err: error }, message),
    auth: createAuth(deps.db, { secureCookies: https }),
    limits: createRateLimits(deps.rateLimits),
    media,
    maxUploadBytes,
    decodes,
  };

  const metrics = deps.metrics
    ? createMetrics({ streamCaps, server: app.server, uploadGate, decodes, bus })
    : null;
  if (metrics) app.addHook('onClose', () => metrics.close());

  await app.register(helmet, {
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'"],
        imgSrc: ["'self'", 'data:', 'blob:'],
        connectSrc: ["'self'"],
        fontSrc: ["'self'"],
        objectSrc: ["'none'"],
        baseUri: ["'self'"],
        formAction: ["'self'"],
        frameAncestors: ["'none'"],
        ...(https ? { upgradeInsecureRequests: [] } : {}),
      },
    },
    strictTransportSecurity: https,
  });

  const routes = await trpcRoute(app, {
    router: appRouter,
    createContext: (request) =>
      createContext(apiDeps, {
        ...request,
        allowedOrigins: [
          ...request.allowedOrigins,
          ...(deps.publicOrigin ? [deps.publicOrigin] : []),
        ],
      }),
    maxJsonBytes: MAX_JSON_BODY_BYTES,
    maxMultipartBytes: maxUploadBytes + 64 * 1024,
    sseTransport: deps.sseTransport ?? 'trpc-sse',
    isRefused: (request) => refused.has(request),
    retryAfterSeconds: DRAIN_RETRY_AFTER_SECONDS,
  });

  app.get<{ Params: { '*': string } }>('/media/*', async (request, reply) => {
    const key = request.params['*'];
    const file = isMediaKey(key) ? await media.open(key) : null;
    if (!file) return reply.code(404).send({ error: NOT_FOUND });
    return reply
      .header('content-type', mediaContentType(key))
      .header('content-length', file.size)
      .header('cache-control', 'public, max-age=31536000, immutable')
      .header('cross-origin-resource-policy', 'same-site')
      .send(file.stream);
  });

  const health = healthChecks(app, {
    database: () => deps.db.execute(sql`select 1`),
    bus: () => bus.check(),
  });
  // Ready: a load balancer sends traffic here only while this answers 200.
  app.get('/healthz', async (_request, reply) => {
    reply.header('cache-control', 'no-store');
    if (draining) return reply.code(503).send({ status: 'draining' });
    const down = await health.down();
    if (down.length > 0) return reply.code(503).send({ status: 'unavailable', down });
    return reply.send({ status: 'ok' });
  });
  // Live: the process answers, whatever its database does (restarting would not help).
  app.get('/livez', async (_request, reply) => {
    return reply.header('cache-control', 'no-store').send({ status: 'ok' });
  });
  // Behind the token, or not here at all: the figures tell who is online and how busy we are.
  if (metrics && deps.metrics?.token) metricsRoute(app, metrics, deps.metrics.token);

  const webRoot = deps.webRoot ?? null;
  const hasSpa = webRoot !== null && existsSync(join(webRoot, 'index.html'));
  if (hasSpa) {
    await app.register(fastifyStatic, {
      root: webRoot,
      wildcard: false,
      index: false,
      setHeaders: (reply, path) => {
        // Vite fingerprints everything under assets/; index.html must always be revalidated.
        reply.header(
          'cache-control',
          path.includes('/assets/') ? 'public, max-age=31536000, immutable' : 'no-cache',
        );
      },
    });
  }

  app.setNotFoundHandler((request, reply) => {
    if ((request.method === 'GET' || request.method === 'HEAD') && isSpaPath(request.url)) {
      if (hasSpa) return reply.header('cache-control', 'no-cache').sendFile('index.html');
      return reply
        .code(503)
        .type('text/plain')
        .send('The web app is not built yet. Run `npm start` from the repository root.');
    }
    return reply.code(404).send({ error: NOT_FOUND });
  });

  // Fastify's own errors outside tRPC (a malformed URL, say) get a sentence, not its code.
  app.setErrorHandler((error: { statusCode?: number }, request, reply) => {
    const status = error.statusCode && error.statusCode >= 400 ? error.statusCode : 500;
    if (status >= 500) request.log.error({ err: error }, 'request failed');
    const fallback = status < 500 ? BAD_REQUEST : SERVER_ERROR;
    return reply.code(status).send({ error: plainHttpMessages[status] ?? fallback });
  });

  // See `FastifyInstance.drain` above.
  async function drain(timeoutMs: number): Promise<boolean> {
    draining = true;
    const finished = await inFlight.settled(timeoutMs);
    await routes.closeStreams();
    return finished;
  }

  app.decorate('drain', drain);
  app.decorate('metrics', metrics);
  return app;
}

/** Counts the requests whose responses are not finished yet. */
function trackRequests() {
  let open = 0;
  let onIdle: (() => void) | null = null;
  return {
    start(res: ServerResponse) {
      open += 1;
      // 'close' comes once per response, when it has been sent or its connection is gone.
      res.once('close', () => {
        open -= 1;
        if (open === 0) onIdle?.();
      });
    },
    /** Resolves true once none are open, false if `timeoutMs` passes first. */
    settled(timeoutMs: number): Promise<boolean> {
      if (open === 0) return Promise.resolve(true);
      return new Promise((resolve) => {
        const timer = setTimeout(() => {
          onIdle = null;
          resolve(false);
        }, timeoutMs);
        onIdle = () => {
          clearTimeout(timer);
          onIdle = null;
          resolve(true);
        };
      });
    },
  };
}

/**
 * The parts `/healthz` asks, each bounded by HEALTH_CHECK_TIMEOUT_MS. A check still
 * running is shared by the requests that come meanwhile, so a hung database gathers one
 * pending probe, not one per poll. Changes of state are logged, not every failed poll.
 */
function healthChecks(
  app: FastifyInstance,
  parts: Record<string, () => Promise<unknown>>,
): { down(): Promise<string[]> } {
  const running = new Map<string, Promise<unknown>>();
  const wasDown = new Set<string>();

  async function isUp(name: string, check: () => Promise<unknown>): Promise<boolean> {
    let probe = running.get(name);
    if (!probe) {
      probe = Promise.resolve()
        .then(check)
        .finally(() => running.delete(name));
      running.set(name, probe);
    }
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(
        () => reject(new Error(`no answer within ${HEALTH_CHECK_TIMEOUT_MS} ms`)),
        HEALTH_CHECK_TIMEOUT_MS,
      );
    });
    try {
      await Promise.race([probe, timeout]);
      if (wasDown.delete(name)) app.log.info({ part: name }, 'health check passes again');
      return true;
    } catch (error: unknown) {
      if (!wasDown.has(name)) app.log.warn({ err: error, part: name }, 'health check fails');
      wasDown.add(name);
      return false;
    } finally {
      clearTimeout(timer);
    }
  }

  return {
    async down() {
      const entries = Object.entries(parts);
      const up = await Promise.all(entries.map(([name, check]) => isUp(name, check)));
      return entries.filter((_entry, index) => !up[index]).map(([name]) => name);
    },
  };
}
