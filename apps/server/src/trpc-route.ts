import type { AppRouter, Context, RequestInfo } from '@photogram/api';
import { nodeHTTPRequestHandler } from '@trpc/server/adapters/node-http';
import type { FastifyInstance, FastifyRequest } from 'fastify';

export interface TrpcRouteOptions {
  router: AppRouter;
  createContext(request: RequestInfo): Promise<Context>;
  /** Cap for JSON bodies. */
  maxJsonBytes: number;
  /** Cap for multipart bodies (uploads): the photo limit plus room for the other fields. */
  maxMultipartBytes: number;
}

function toHeaders(request: FastifyRequest): Headers {
  const headers = new Headers();
  for (const [name, value] of Object.entries(request.headers)) {
    if (Array.isArray(value)) for (const item of value) headers.append(name, item);
    else if (value !== undefined) headers.set(name, value);
  }
  return headers;
}

/**
 * tRPC at `/trpc/:path`, through tRPC's node-http handler rather than its Fastify
 * adapter: the adapter hands multipart streams to tRPC with no size cap at all, while
 * the node-http handler counts the bytes as they arrive and answers PAYLOAD_TOO_LARGE
 * (413, in tRPC's error shape) as soon as a body passes `maxBodySize`.
 */
export async function trpcRoute(app: FastifyInstance, options: TrpcRouteOptions) {
  await app.register(async (scope) => {
    // tRPC reads every body itself, so Fastify must leave the stream untouched.
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', (_request, _payload, done) => done(null, undefined));

    scope.all<{ Params: { path: string } }>('/trpc/:path', async (request, reply) => {
      // Headers set by hooks (helmet) live on the reply; carry them to the raw response.
      for (const [name, value] of Object.entries(reply.getHeaders())) {
        if (value !== undefined) reply.raw.setHeader(name, value);
      }
      reply.hijack();
      const multipart = request.headers['content-type']?.startsWith('multipart/form-data') ?? false;
      await nodeHTTPRequestHandler({
        router: options.router,
        req: request.raw,
        res: reply.raw,
        path: request.params.path,
        maxBodySize: multipart ? options.maxMultipartBytes : options.maxJsonBytes,
        createContext: () =>
          options.createContext({
            headers: toHeaders(request),
            ip: request.ip,
            allowedOrigins: [`${request.protocol}://${request.host}`],
            setCookie: (cookie) => {
              reply.raw.appendHeader('set-cookie', cookie);
            },
            disconnect: () => {
              request.raw.socket.destroy();
            },
          }),
        onError: ({ error, path }) => {
          if (error.code === 'INTERNAL_SERVER_ERROR') {
            request.log.error({ err: error.cause ?? error, path }, 'tRPC procedure failed');
          }
        },
      });
    });
  });
}
