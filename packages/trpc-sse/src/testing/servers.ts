import {
  createServer,
  type IncomingMessage,
  type RequestListener,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';
import type { TRPCError } from '@trpc/server';
import { createHTTPHandler } from '@trpc/server/adapters/standalone';
import type { SSEHandler, SSEHandlerOptions } from '../index';
import { createToyContext, PREFIXES, type Prefix, ROUTERS, type ToyRouter } from './router';

export type Transport = 'stock' | 'trpc-sse';

/** One call of a server's `onError` option. */
export interface ServerError {
  code: TRPCError['code'];
  message: string;
  path: string | undefined;
  input: unknown;
  type: string;
}

export interface TestServer {
  transport: Transport;
  /** `http://127.0.0.1:<port>`; each variant of the toy router is served at its prefix (see `ROUTERS`). */
  origin: string;
  /** Every `onError` call, in order. */
  errors: ServerError[];
  /** The handler serving `/trpc/` subscriptions; only on the trpc-sse transport. */
  sse?: SSEHandler;
  close(): Promise<void>;
}

const createContext = ({
  req,
  info,
}: {
  req: IncomingMessage;
  info: { connectionParams: Record<string, string | undefined> | null };
}) => createToyContext(req.headers, info.connectionParams);

function recordErrors(errors: ServerError[]) {
  return (opts: { error: TRPCError; path: string | undefined; input: unknown; type: string }) => {
    errors.push({
      code: opts.error.code,
      message: opts.error.message,
      path: opts.path,
      input: opts.input,
      type: opts.type,
    });
  };
}

/** One value per router variant, keyed by its prefix. */
function perPrefix<T>(make: (router: ToyRouter, prefix: Prefix) => T): Record<Prefix, T> {
  return Object.fromEntries(
    PREFIXES.map((prefix) => [prefix, make(ROUTERS[prefix], prefix)]),
  ) as Record<Prefix, T>;
}

function stockHandlers(errors: ServerError[]) {
  return perPrefix((router, basePath) =>
    createHTTPHandler({ router, createContext, basePath, onError: recordErrors(errors) }),
  );
}

/** The procedure path of `/trpc/counter?input=…`, with its prefix. */
function route(req: IncomingMessage): { prefix: Prefix; path: string } | null {
  const { pathname } = new URL(req.url ?? '/', 'http://localhost');
  const prefix = PREFIXES.find((p) => pathname.startsWith(p));
  if (!prefix) return null;
  return { prefix, path: pathname.slice(prefix.length).replace(/\/+$/, '') };
}

async function listen(
  transport: Transport,
  listener: RequestListener,
  errors: ServerError[],
  extra: { sse?: SSEHandler; beforeClose?: () => Promise<void> } = {},
): Promise<TestServer> {
  const server: Server = createServer(listener);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    transport,
    origin: `http://127.0.0.1:${port}`,
    errors,
    sse: extra.sse,
    async close() {
      await extra.beforeClose?.();
      server.closeAllConnections();
      await new Promise<void>((resolve, reject) =>
        server.close((err) => (err ? reject(err) : resolve())),
      );
    },
  };
}

function notFound(res: ServerResponse) {
  res.statusCode = 404;
  res.end('not found');
}

/** tRPC's own standalone adapter for everything. */
export async function startStockServer(): Promise<TestServer> {
  const errors: ServerError[] = [];
  const stock = stockHandlers(errors);
  return listen(
    'stock',
    (req, res) => {
      const found = route(req);
      if (!found) return notFound(res);
      stock[found.prefix](req, res);
    },
    errors,
  );
}

export interface SSEServerOptions {
  maxBufferedBytes?: number;
  reconnectDelayMs?: () => number;
  /** Answer 404 instead of handing requests `handle` declines to the stock handler. */
  noFallback?: boolean;
}

/** Subscriptions through `createSSEHandler`, everything it declines through the stock handler. */
export async function startSSEServer(options: SSEServerOptions = {}): Promise<TestServer> {
  // loaded here, not at the top, so the stock half of the suite runs even while `../index` is broken
  const { createSSEHandler } = await import('../index');
  const errors: ServerError[] = [];
  const onError = recordErrors(errors);
  const common = {
    createContext,
    onError,
    maxBufferedBytes: options.maxBufferedBytes,
    reconnectDelayMs: options.reconnectDelayMs,
  } satisfies Partial<SSEHandlerOptions<ToyRouter>>;
  const sse = perPrefix((router) => createSSEHandler({ router, ...common }));
  const stock = stockHandlers(errors);
  const listener: RequestListener = (req, res) => {
    const found = route(req);
    if (!found) return notFound(res);
    sse[found.prefix].handle(req, res, found.path).then(
      (handled) => {
        if (handled) return;
        if (options.noFallback) return notFound(res);
        stock[found.prefix](req, res);
      },
      (err: unknown) => {
        // `handle` is not meant to reject; make it visible if it does
        errors.push({
          code: 'INTERNAL_SERVER_ERROR',
          message: `handle() rejected: ${String(err)}`,
          path: found.path,
          input: undefined,
          type: 'unknown',
        });
        if (!res.headersSent) res.statusCode = 500;
        res.end();
      },
    );
  };
  return listen('trpc-sse', listener, errors, {
    sse: sse['/trpc/'],
    beforeClose: async () => {
      await Promise.all(Object.values(sse).map((handler) => handler.close()));
    },
  });
}

export function startServer(transport: Transport, options?: SSEServerOptions) {
  return transport === 'stock' ? startStockServer() : startSSEServer(options);
}
