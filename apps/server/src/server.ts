import { existsSync } from 'node:fs';
import type { IncomingHttpHeaders } from 'node:http';
import { join } from 'node:path';
import helmet from '@fastify/helmet';
import fastifyStatic from '@fastify/static';
import {
  type AppRouter,
  appRouter,
  createAuth,
  createContext,
  createRateLimits,
  type RateLimitOptions,
} from '@photogram/api';
import type { Database } from '@photogram/db';
import { type FastifyTRPCPluginOptions, fastifyTRPCPlugin } from '@trpc/server/adapters/fastify';
import { sql } from 'drizzle-orm';
import Fastify, { type FastifyServerOptions } from 'fastify';

export interface ServerDeps {
  db: Database;
  /** The public origin when behind a proxy (`PUBLIC_ORIGIN`); https turns on `Secure` cookies and HSTS. */
  publicOrigin?: string | undefined;
  /** The built SPA (`apps/web/dist`); null serves no SPA. */
  webRoot?: string | null;
  logger?: FastifyServerOptions['logger'];
  rateLimits?: RateLimitOptions;
}

function toHeaders(incoming: IncomingHttpHeaders): Headers {
  const headers = new Headers();
  for (const [name, value] of Object.entries(incoming)) {
    if (Array.isArray(value)) for (const item of value) headers.append(name, item);
    else if (value !== undefined) headers.set(name, value);
  }
  return headers;
}

/** The Fastify app: tRPC at /trpc, /healthz, the SPA. Listening is the caller's business. */
export async function buildServer(deps: ServerDeps) {
  const https = deps.publicOrigin?.startsWith('https:') ?? false;
  const app = Fastify({
    logger: deps.logger ?? false,
    // Open SSE streams would otherwise keep `close()` waiting forever.
    forceCloseConnections: true,
    disableRequestLogging: false,
  });

  const apiDeps = {
    db: deps.db,
    auth: createAuth(deps.db, { secureCookies: https }),
    limits: createRateLimits(deps.rateLimits),
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

  await app.register(fastifyTRPCPlugin, {
    prefix: '/trpc',
    trpcOptions: {
      router: appRouter,
      createContext: ({ req, res }) =>
        createContext(apiDeps, {
          headers: toHeaders(req.headers),
          ip: req.ip,
          allowedOrigins: [
            `${req.protocol}://${req.host}`,
            ...(deps.publicOrigin ? [deps.publicOrigin] : []),
          ],
          setCookie: (cookie) => {
            res.header('set-cookie', cookie);
          },
        }),
      onError: ({ error, path, req }) => {
        if (error.code === 'INTERNAL_SERVER_ERROR') {
          req.log.error({ err: error.cause ?? error, path }, 'tRPC procedure failed');
        }
      },
    },
  } satisfies FastifyTRPCPluginOptions<AppRouter>);

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
