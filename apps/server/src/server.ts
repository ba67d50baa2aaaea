import { existsSync } from 'node:fs';
import { join } from 'node:path';
import helmet from '@fastify/helmet';
import fastifyStatic from '@fastify/static';
import {
  appRouter,
  createAuth,
  createContext,
  createLocalMediaStorage,
  createRateLimits,
  isMediaKey,
  type MediaStorage,
  MemoryBus,
  mediaContentType,
  type NotificationBus,
  type RateLimitOptions,
} from '@photogram/api';
import { MAX_UPLOAD_BYTES_DEFAULT } from '@photogram/contracts';
import type { Database } from '@photogram/db';
import { sql } from 'drizzle-orm';
import Fastify, { type FastifyServerOptions } from 'fastify';
import { trpcRoute } from './trpc-route';

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
  /** Who serves subscriptions (`SSE_TRANSPORT`): `trpc-sse` (default) or tRPC's `stock` SSE. */
  sseTransport?: 'trpc-sse' | 'stock';
}

/** The Fastify app: tRPC at /trpc, /healthz, the SPA. Listening is the caller's business. */
export async function buildServer(deps: ServerDeps) {
  const https = deps.publicOrigin?.startsWith('https:') ?? false;
  const app = Fastify({
    logger: deps.logger ?? false,
    // Open SSE streams would otherwise keep `close()` waiting forever.
    forceCloseConnections: true,
    // No route reads `request.query` (tRPC parses its own URL), but Fastify parses it for
    // every request and keeps it as long as the response is open: a subscription's
    // `?input=` would stay in memory as a string built character by character.
    // URLSearchParams decodes natively into flat strings.
    routerOptions: { querystringParser: (query) => Object.fromEntries(new URLSearchParams(query)) },
  });

  const media = typeof deps.media === 'string' ? createLocalMediaStorage(deps.media) : deps.media;
  const maxUploadBytes = deps.maxUploadBytes ?? MAX_UPLOAD_BYTES_DEFAULT;
  const bus = deps.bus ?? new MemoryBus();
  if (!deps.bus) app.addHook('onClose', () => bus.close());
  const apiDeps = {
    db: deps.db,
    bus,
    subscriberQueueLimit: deps.subscriberQueueLimit,
    reportError: (error: unknown, message: string) => app.log.error({ err: error }, message),
    auth: createAuth(deps.db, { secureCookies: https }),
    limits: createRateLimits(deps.rateLimits),
    media,
    maxUploadBytes,
  };

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

  await trpcRoute(app, {
    router: appRouter,
    createContext: (request) =>
      createContext(apiDeps, {
        ...request,
        allowedOrigins: [
          ...request.allowedOrigins,
          ...(deps.publicOrigin ? [deps.publicOrigin] : []),
        ],
      }),
    maxJsonBytes: 1024 * 1024,
    maxMultipartBytes: maxUploadBytes + 64 * 1024,
    sseTransport: deps.sseTransport ?? 'trpc-sse',
  });

  app.get<{ Params: { '*': string } }>('/media/*', async (request, reply) => {
    const key = request.params['*'];
    const file = isMediaKey(key) ? await media.open(key) : null;
    if (!file) return reply.code(404).send({ error: 'Not found' });
    return reply
      .header('content-type', mediaContentType(key))
      .header('content-length', file.size)
      .header('cache-control', 'public, max-age=31536000, immutable')
      .header('cross-origin-resource-policy', 'same-site')
      .send(file.stream);
  });

  app.get('/healthz', async (_request, reply) => {
    await deps.db.execute(sql`select 1`);
    return reply.send({ status: 'ok' });
  });

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
    const apiPath = request.url.startsWith('/trpc') || request.url.startsWith('/media');
    if (request.method === 'GET' && !apiPath && request.headers.accept?.includes('text/html')) {
      if (hasSpa) return reply.header('cache-control', 'no-cache').sendFile('index.html');
      return reply
        .code(503)
        .type('text/plain')
        .send('The web app is not built yet. Run `npm start` from the repository root.');
    }
    return reply.code(404).send({ error: 'Not found' });
  });

  return app;
}
