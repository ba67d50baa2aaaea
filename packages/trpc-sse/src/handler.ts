import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AnyTRPCRouter, inferRouterContext } from '@trpc/server';
import type { TRPCRequestInfo } from '@trpc/server/http';
import {
  type Call,
  ErrorReporter,
  type SSEErrorOptions,
  shuttingDown,
  sseDisabled,
} from './errors';
import type { FrameWriter } from './frame-writer';
import { connectedFrame, retryFrame } from './frames';
import { procedureCaller } from './procedure-call';
import { pump, toIterable } from './pump';
import {
  readInput,
  readSubscriptionRequest,
  requestInfo,
  type SubscriptionRequest,
  withLastEventId,
} from './request';
import type { Serialize } from './shared-payload';
import { StreamRegistry } from './stream-registry';

export interface CreateSSEContextOptions {
  req: IncomingMessage;
  res: ServerResponse;
  info: TRPCRequestInfo;
}

export type ContextFactory<TContext> = (
  opts: CreateSSEContextOptions,
) => TContext | Promise<TContext>;

export interface SSEHandlerOptions<TRouter extends AnyTRPCRouter> {
  router: TRouter;
  /** Builds the context as the stock adapter's `createContext` would, from the same request. */
  createContext?: ContextFactory<inferRouterContext<TRouter>>;
  /**
   * Bytes that may wait in one socket's write buffer. A reader this far behind is
   * disconnected rather than allowed to grow server memory; its EventSource reconnects
   * and resumes from its last event id. Default 256 KiB.
   */
  maxBufferedBytes?: number;
  /**
   * Called once for every error a stream reports, as tRPC's `onError`. One that throws
   * is written to `console.error` and the stream still gets its error frame.
   */
  onError?: (opts: SSEErrorOptions<inferRouterContext<TRouter>>) => void;
  /**
   * The reconnection time, in ms, each new stream tells its EventSource (an SSE `retry:`
   * field before `connected`). Called per stream, so it can add jitter: clients dropped
   * together (a server restart) then come back spread out rather than all at once.
   * Unset: no `retry:` is sent (as the stock adapter), and clients keep their default.
   */
  reconnectDelayMs?: () => number;
}

export interface SSEHandler {
  /**
   * Serves `req` when it is a GET for a subscription procedure at `path` and resolves
   * true once the stream has started (or has been answered with its error); resolves
   * false, leaving `res` untouched, for anything else (the stock handler answers those,
   * errors included). Never rejects. `createContext`, when given, replaces the handler's
   * own for this request, as the stock node-http handler takes one per call.
   */
  handle(
    req: IncomingMessage,
    res: ServerResponse,
    path: string,
    createContext?: ContextFactory<unknown>,
  ): Promise<boolean>;
  /** Streams open right now. */
  readonly openStreams: number;
  /**
   * Ends every open stream and refuses new ones: generators are aborted (their `finally`
   * blocks run) and responses end cleanly, without `return`, so clients reconnect to
   * whichever server answers next. Resolves when the generators have finished, or
   * after `graceMs` for those that ignore their abort signal.
   */
  close(options?: { graceMs?: number }): Promise<void>;
}

const DEFAULT_MAX_BUFFERED_BYTES = 256 * 1024;

/**
 * Serves the subscription procedures of a tRPC router over Server-Sent Events, straight
 * onto Node's `ServerResponse`. tRPC's stock path builds a web `ReadableStream` pipeline,
 * abort controllers and timers per subscriber; this keeps one small record per stream and
 * one ping timer for all of them, which is what lets a server hold tens of thousands.
 *
 * The parts, each in its own file: `request` reads the GET, `procedure-call` calls the
 * procedure through `createCaller`, `stream-registry` holds the open streams and their
 * ping clock, `frame-writer` puts frames on one socket (`frames` is their text), `pump`
 * drives the procedure's values into the writer, `errors` shapes and reports failures,
 * and `shared-payload` lets many streams share one value's serialization.
 */
export function createSSEHandler<TRouter extends AnyTRPCRouter>(
  options: SSEHandlerOptions<TRouter>,
): SSEHandler {
  type Context = inferRouterContext<TRouter>;
  const { router } = options;
  const config = router._def._config;
  const callProcedure = procedureCaller(router);
  const serialize: Serialize = (value) =>
    JSON.stringify(config.transformer.output.serialize(value));
  const ping = {
    enabled: config.sse?.ping?.enabled ?? false,
    intervalMs: config.sse?.ping?.intervalMs ?? 1000,
  };
  const client = config.sse?.client ?? {};
  if (
    ping.enabled &&
    client.reconnectAfterInactivityMs &&
    ping.intervalMs > client.reconnectAfterInactivityMs
  ) {
    // The stock path finds this on every request; a misconfigured server should not start.
    throw new Error(
      `The ping interval (${ping.intervalMs} ms) must be shorter than the client's reconnectAfterInactivityMs (${client.reconnectAfterInactivityMs} ms)`,
    );
  }
  const maxDurationMs = config.sse?.maxDurationMs;
  const registry = new StreamRegistry(ping, options.maxBufferedBytes ?? DEFAULT_MAX_BUFFERED_BYTES);
  const errors = new ErrorReporter<Context>(config, options.onError);
  const connected = connectedFrame(client);

  /**
   * Calls the procedure and starts the stream: its error frame if anything failed up to
   * here (context, input, the procedure itself), else the pump. Rejects only on a fault
   * of this transport or a callback (`reconnectDelayMs`), which `handle` catches.
   */
  async function serve(
    request: SubscriptionRequest,
    stream: FrameWriter,
    call: Call<Context>,
    createContext: ContextFactory<unknown> | undefined,
  ) {
    const { req } = call;
    const { res } = stream;
    const { signal } = stream.abort;
    let iterable: AsyncIterable<unknown> | null = null;
    let failure: { cause: unknown } | null = null;
    try {
      if (registry.closing) throw shuttingDown();
      const info = requestInfo(config, request, signal, () => call.input);
      // The caller vouches that its per-request factory builds this router's context.
      call.ctx = (await createContext?.({ req, res, info })) as Context | undefined;
      call.input = readInput(config, request.inputText);
      const input = withLastEventId(call.input, request.lastEventId);
      const result = await callProcedure(call.ctx ?? ({} as Context), call.path, input, signal);
      if (config.sse?.enabled === false) throw sseDisabled();
      iterable = toIterable(result, call.path, signal);
    } catch (cause: unknown) {
      failure = { cause };
    }
    // `close()` ran while this one was being set up: it must not outlive the others.
    if (failure === null && registry.closing) failure = { cause: shuttingDown() };

    if (stream.ended || res.destroyed) {
      // The client left while the context or the procedure was being set up.
      stream.drop();
      return;
    }
    const retry = options.reconnectDelayMs?.();
    stream.start(retry === undefined ? connected : retryFrame(retry) + connected);
    registry.add(stream);
    if (failure !== null || iterable === null) {
      stream.end(errors.frameFor(failure?.cause, call));
      return;
    }
    if (maxDurationMs) stream.endAfter(maxDurationMs);
    stream.done = pump(stream, iterable, request.lastEventId, serialize, errors, call);
  }

  return {
    async handle(req, res, urlPath, createContext = options.createContext) {
      const request = await readSubscriptionRequest(router, req, urlPath);
      if (!request) return false;
      const stream = registry.writerFor(res);
      // Kept for the stream's whole life (errors are reported with it), so kept small.
      const call: Call<Context> = { path: request.path, input: undefined, ctx: undefined, req };
      try {
        await serve(request, stream, call, createContext);
      } catch (cause: unknown) {
        // A fault of ours: reported like any error; the client gets its frame if the
        // stream has started, else a bare 500, and the response ends either way.
        const frame = errors.frameFor(cause, call);
        try {
          if (res.headersSent) stream.end(frame);
          else {
            res.statusCode = 500;
            stream.end();
          }
        } catch {
          stream.drop();
        }
      }
      return true;
    },
    get openStreams() {
      return registry.size;
    },
    close: ({ graceMs = 5000 } = {}) => registry.close(graceMs),
  };
}
