import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  type AnyTRPCRouter,
  getTRPCErrorFromUnknown,
  type inferRouterContext,
  isTrackedEnvelope,
  TRPCError,
} from '@trpc/server';
import { parseConnectionParamsFromString, type TRPCRequestInfo } from '@trpc/server/http';
import { isObservable, observableToAsyncIterable } from '@trpc/server/observable';
import {
  createCallerFactory,
  getErrorShape,
  getProcedureAtPath,
  isAbortError,
  isAsyncIterable,
  isObject,
  sseHeaders,
  urlPathToProcedurePath,
} from '@trpc/server/unstable-core-do-not-import';
import {
  connectedFrame,
  dataFrame,
  errorFrame,
  isSendableId,
  PING_FRAME,
  RETURN_FRAME,
  restoreIdFrame,
  retryFrame,
} from './frames';

export interface CreateSSEContextOptions {
  req: IncomingMessage;
  res: ServerResponse;
  info: TRPCRequestInfo;
}

export type ContextFactory<TContext> = (
  opts: CreateSSEContextOptions,
) => TContext | Promise<TContext>;

export interface SSEErrorOptions<TContext> {
  error: TRPCError;
  path: string | undefined;
  input: unknown;
  ctx: TContext | undefined;
  type: 'subscription' | 'unknown';
  req: IncomingMessage;
}

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
   * The JSON text of a value's `data:` line. Default: the router's transformer, then
   * `JSON.stringify`. A server that sends one payload to many streams can serialize it
   * once here.
   */
  serialize?: (value: unknown) => string;
  /** Called once for every error a stream reports, as tRPC's `onError`. */
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
   * true once the stream has started; resolves false, leaving `res` untouched, for
   * anything else (the stock handler answers those, errors included). `createContext`,
   * when given, replaces the handler's own for this request, as the stock node-http
   * handler takes one per call.
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

/** What an error of a stream is reported with. */
interface Call<TContext> {
  path: string;
  /** The input as the client sent it (before `lastEventId` is merged in). */
  input: unknown;
  ctx: TContext | undefined;
  req: IncomingMessage;
}

/** One open response and the generator feeding it. */
interface Stream {
  res: ServerResponse;
  abort: AbortController;
  /** The ping clock's tick of the last frame written (a counter, cheaper than a clock). */
  lastWriteTick: number;
  ended: boolean;
  /** Resolves when the generator has finished. */
  done: Promise<void>;
}

/**
 * Serves the subscription procedures of a tRPC router over Server-Sent Events, straight
 * onto Node's `ServerResponse`: the procedure is reached through `createCaller` (its
 * middlewares, input parser and context as in any call) and every frame is one string
 * written to the socket. tRPC's stock path builds a web `ReadableStream` pipeline, abort
 * controllers and timers per subscriber; this keeps one small record per stream and one
 * ping timer for all of them, which is what lets a server hold tens of thousands.
 */
export function createSSEHandler<TRouter extends AnyTRPCRouter>(
  options: SSEHandlerOptions<TRouter>,
): SSEHandler {
  type Context = inferRouterContext<TRouter>;
  const { router } = options;
  const config = router._def._config;
  const createCaller = createCallerFactory()(router);
  const maxBufferedBytes = options.maxBufferedBytes ?? DEFAULT_MAX_BUFFERED_BYTES;
  const serialize =
    options.serialize ??
    ((value: unknown) => JSON.stringify(config.transformer.output.serialize(value)));
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
  const streams = new Set<Stream>();
  const clientOptions = connectedFrame(client);
  let pingTimer: NodeJS.Timeout | null = null;
  let tick = 0;
  let closing = false;

  function startPings() {
    if (pingTimer || !ping.enabled || !(ping.intervalMs > 0 && ping.intervalMs < Infinity)) return;
    // One timer for every stream, ticking ten times per interval: a stream gets a ping
    // once ten ticks have passed without a frame, so it is never silent for longer than
    // the interval, and never pinged sooner than nine tenths of it.
    const tickMs = Math.max(Math.floor(ping.intervalMs / 10), 1);
    const ticksPerPing = Math.ceil(ping.intervalMs / tickMs);
    pingTimer = setInterval(() => {
      tick += 1;
      for (const stream of streams) {
        if (tick - stream.lastWriteTick >= ticksPerPing) write(stream, PING_FRAME);
      }
    }, tickMs);
    pingTimer.unref();
  }

  function stopPingsIfIdle() {
    if (pingTimer && streams.size === 0) {
      clearInterval(pingTimer);
      pingTimer = null;
    }
  }

  /**
   * Writes a frame; a socket that has stopped draining is dropped rather than buffered.
   * Once the head is out, a frame goes to the socket as one HTTP/1.1 chunk, the bytes
   * `res.write` would produce: `res.write` sends each chunk as four corked writes flushed
   * on the next tick, so on a fan-out nothing would leave before every stream had been
   * served, and the first reader would wait for the last.
   */
  function write(stream: Stream, frame: string) {
    if (stream.ended) return;
    const { res } = stream;
    const socket = res.socket;
    if (socket && res.headersSent && res.chunkedEncoding) {
      socket.write(`${Buffer.byteLength(frame).toString(16)}\r\n${frame}\r\n`);
    } else {
      res.write(frame);
    }
    stream.lastWriteTick = tick;
    if (res.writableLength > maxBufferedBytes) drop(stream);
  }

  /** Ends the connection without a goodbye: the EventSource reconnects and resumes. */
  function drop(stream: Stream) {
    if (stream.ended) return;
    stream.ended = true;
    streams.delete(stream);
    stopPingsIfIdle();
    stream.abort.abort();
    stream.res.destroy();
  }

  /** Ends the response cleanly (the terminating chunk is sent). */
  function end(stream: Stream, lastFrame?: string) {
    if (stream.ended) return;
    if (lastFrame) stream.res.write(lastFrame);
    stream.ended = true;
    streams.delete(stream);
    stopPingsIfIdle();
    stream.res.end();
  }

  function errorShape(cause: unknown, call: Call<Context>) {
    const error = getTRPCErrorFromUnknown(cause);
    options.onError?.({ error, type: 'subscription', ...call });
    return getErrorShape({ config, error, type: 'subscription', ...call });
  }

  async function handle(
    req: IncomingMessage,
    res: ServerResponse,
    urlPath: string,
    createContext: ContextFactory<unknown> | undefined = options.createContext,
  ) {
    if (req.method !== 'GET') return false;
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (url.searchParams.get('batch') === '1') return false;

    let path: string;
    let connectionParams: TRPCRequestInfo['connectionParams'];
    try {
      path = urlPathToProcedurePath(decodeURIComponent(urlPath), config.pathSeparator);
      const params = url.searchParams.get('connectionParams');
      connectionParams = params === null ? null : parseConnectionParamsFromString(params);
    } catch {
      // The stock handler answers malformed requests with its own (non-stream) error.
      return false;
    }
    const procedure = await getProcedureAtPath(router, path);
    if (procedure?._def.type !== 'subscription') return false;

    const lastEventId = readLastEventId(req, url);
    const inputText = url.searchParams.get('input');
    // Kept for the stream's whole life (errors are reported with it), so kept small:
    // nothing in this function creates a closure, which would keep all of it alive.
    const call: Call<Context> = { path, input: undefined, ctx: undefined, req };
    const stream: Stream = {
      res,
      abort: new AbortController(),
      lastWriteTick: tick,
      ended: false,
      done: Promise.resolve(),
    };
    dropWhenClosed(stream);

    let iterable: AsyncIterable<unknown> | null = null;
    let failure: unknown = null;
    try {
      if (closing) {
        throw new TRPCError({
          code: 'SERVICE_UNAVAILABLE',
          message: 'The server is shutting down.',
        });
      }
      const info = requestInfo(
        call,
        procedure,
        inputText,
        lastEventId,
        connectionParams,
        url,
        stream,
      );
      // The caller vouches that its per-request factory builds this router's context.
      call.ctx = (await createContext?.({ req, res, info })) as Context | undefined;
      call.input = readInput(inputText);
      const caller = createCaller(call.ctx ?? ({} as Context), { signal: stream.abort.signal });
      const result: unknown = await procedureAt(
        caller,
        path,
      )(withLastEventId(call.input, lastEventId));
      if (config.sse?.enabled === false) {
        throw new TRPCError({
          code: 'METHOD_NOT_SUPPORTED',
          message: 'Missing experimental flag "sseSubscriptions"',
        });
      }
      if (isObservable(result)) iterable = observableToAsyncIterable(result, stream.abort.signal);
      else if (isAsyncIterable(result)) iterable = result;
      else {
        throw new TRPCError({
          code: 'INTERNAL_SERVER_ERROR',
          message: `Subscription ${path} did not return an observable or a AsyncGenerator`,
        });
      }
    } catch (cause: unknown) {
      failure = cause;
    }

    if (stream.ended || res.destroyed) {
      // The client left while the context or the procedure was being set up.
      stream.abort.abort();
      return true;
    }

    res.statusCode = 200;
    res.setHeader('vary', 'trpc-accept, accept');
    for (const [name, value] of Object.entries(sseHeaders)) res.setHeader(name, value);
    streams.add(stream);
    startPings();
    const retry = options.reconnectDelayMs?.();
    write(stream, retry === undefined ? clientOptions : retryFrame(retry) + clientOptions);

    if (failure !== null || iterable === null) {
      end(stream, errorFrame(serializeError(failure, call)));
      return true;
    }
    if (maxDurationMs) endAfter(stream, maxDurationMs);
    stream.done = pump(stream, iterable, lastEventId, call);
    return true;
  }

  /** tRPC's `info` for `createContext`, as the stock adapter builds it. */
  function requestInfo(
    call: Call<Context>,
    procedure: TRPCRequestInfo['calls'][number]['procedure'],
    inputText: string | null,
    lastEventId: string | null,
    connectionParams: TRPCRequestInfo['connectionParams'],
    url: URL,
    stream: Stream,
  ): TRPCRequestInfo {
    return {
      accept: null,
      type: 'subscription',
      isBatchCall: false,
      calls: [
        {
          path: call.path,
          batchIndex: 0,
          procedure,
          getRawInput: async () => withLastEventId(readInput(inputText), lastEventId),
          result: () => call.input,
        },
      ],
      connectionParams,
      signal: stream.abort.signal,
      url,
    };
  }

  /** The request's `?input=`, through the transformer; bad JSON is the client's fault. */
  function readInput(text: string | null): unknown {
    if (!text) return undefined;
    try {
      return config.transformer.input.deserialize(JSON.parse(text));
    } catch (cause: unknown) {
      if (cause instanceof TRPCError) throw cause;
      throw new TRPCError({
        code: 'BAD_REQUEST',
        message: cause instanceof Error ? cause.message : 'Invalid input',
        cause,
      });
    }
  }

  function serializeError(cause: unknown, call: Call<Context>): string {
    const shape = errorShape(cause, call);
    return JSON.stringify(config.transformer.output.serialize(shape));
  }

  /** A client that leaves aborts its generator (a stream that ended is already marked). */
  function dropWhenClosed(stream: Stream) {
    stream.res.once('close', () => {
      if (!stream.ended) drop(stream);
    });
  }

  /** Like the stock path's `maxDurationMs`: the stream ends, without `return`, and the client reconnects. */
  function endAfter(stream: Stream, ms: number) {
    const timer = setTimeout(() => {
      end(stream);
      stream.abort.abort();
    }, ms);
    stream.res.once('close', () => clearTimeout(timer));
  }

  /** Copies the generator's values to the response until either side ends. */
  async function pump(
    stream: Stream,
    iterable: AsyncIterable<unknown>,
    initialLastEventId: string | null,
    call: Call<Context>,
  ) {
    const iterator = iterable[Symbol.asyncIterator]();
    const stop = () => {
      // A generator waiting at `yield` ends now; one waiting elsewhere sees the signal.
      void iterator.return?.().catch(() => {});
    };
    stream.abort.signal.addEventListener('abort', stop, { once: true });
    // The id the client's EventSource holds and will send back when it reconnects.
    let lastEventId = isSendableId(initialLastEventId) ? initialLastEventId : null;
    try {
      for (;;) {
        const next = await iterator.next();
        if (stream.ended) return;
        if (next.done) {
          end(stream, RETURN_FRAME);
          return;
        }
        const value = next.value;
        if (isTrackedEnvelope(value)) {
          lastEventId = value[0];
          write(stream, dataFrame(serialize(value[1]), value[0]));
        } else if (lastEventId === null) {
          write(stream, dataFrame(serialize(value)));
        } else {
          // An event without an id inherits the last one in EventSource: clear it for this
          // event, then restore it so a reconnect still resumes from the last tracked id.
          write(stream, dataFrame(serialize(value), '') + restoreIdFrame(lastEventId));
        }
        // Past the high-water mark, let the event loop run once: the corked frames go out
        // and the socket can drain before the generator is asked for more. A reader that
        // keeps falling behind reaches `maxBufferedBytes` and is dropped by `write`.
        if (stream.res.socket?.writableNeedDrain)
          await new Promise((resolve) => setImmediate(resolve));
      }
    } catch (cause: unknown) {
      if (stream.ended || isAbortError(cause)) return;
      end(stream, errorFrame(serializeError(cause, call)));
    } finally {
      stream.abort.signal.removeEventListener('abort', stop);
      if (!stream.ended) end(stream);
    }
  }

  return {
    handle,
    get openStreams() {
      return streams.size;
    },
    async close({ graceMs = 5000 } = {}) {
      closing = true;
      const open = [...streams];
      for (const stream of open) {
        end(stream);
        stream.abort.abort();
      }
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        Promise.all(open.map((stream) => stream.done)),
        new Promise((resolve) => {
          timer = setTimeout(resolve, graceMs);
          timer.unref();
        }),
      ]);
      clearTimeout(timer);
    },
  };
}

/** `Last-Event-ID` as EventSource sends it on reconnect, or the query fallbacks tRPC reads. */
function readLastEventId(req: IncomingMessage, url: URL): string | null {
  const header = req.headers['last-event-id'];
  return (
    (typeof header === 'string' ? header : null) ??
    url.searchParams.get('lastEventId') ??
    url.searchParams.get('Last-Event-Id')
  );
}

/** tRPC merges the reconnect id into an object input (or makes one) for subscriptions. */
function withLastEventId(input: unknown, lastEventId: string | null): unknown {
  if (!lastEventId) return input;
  if (isObject(input)) return { ...input, lastEventId };
  return input ?? { lastEventId };
}

type ProcedureCall = (input: unknown) => Promise<unknown>;

/** `caller.a.b` for the path `a.b`: the caller is a proxy, so any path can be walked. */
function procedureAt(caller: unknown, path: string): ProcedureCall {
  let node = caller as Record<string, unknown>;
  for (const key of path.split('.')) node = node[key] as Record<string, unknown>;
  return node as unknown as ProcedureCall;
}
