import type { IncomingMessage } from 'node:http';
import { type AnyTRPCRouter, getTRPCErrorFromUnknown, TRPCError } from '@trpc/server';
import { TRPC_ERROR_CODES_BY_KEY } from '@trpc/server/rpc';
import { getErrorShape } from '@trpc/server/unstable-core-do-not-import';
import { errorFrame } from './frames';

export interface SSEErrorOptions<TContext> {
  error: TRPCError;
  path: string | undefined;
  input: unknown;
  ctx: TContext | undefined;
  type: 'subscription' | 'unknown';
  req: IncomingMessage;
}

/** What an error of a stream is reported with. */
export interface Call<TContext> {
  path: string;
  /** The input as the client sent it (before `lastEventId` is merged in). */
  input: unknown;
  ctx: TContext | undefined;
  req: IncomingMessage;
}

type RouterConfig = AnyTRPCRouter['_def']['_config'];

/**
 * Turns whatever a stream failed with into the `serialized-error` frame the client reads,
 * in the router's error shape (its error formatter runs), and tells `onError` once.
 *
 * An `onError` that throws is a bug of the server that passed it; it must not cost the
 * client its answer nor reject the request (`handle` never rejects). It is written to
 * `console.error`, once per throw, and the frame is sent as if `onError` had returned.
 */
export class ErrorReporter<TContext> {
  constructor(
    private readonly config: RouterConfig,
    private readonly onError: ((opts: SSEErrorOptions<TContext>) => void) | undefined,
  ) {}

  /**
   * The `serialized-error` frame for `cause`, reported once. Never throws: when the error
   * formatter or the transformer does, the frame carries a plain INTERNAL_SERVER_ERROR
   * instead, and when even that cannot be serialized there is no frame (undefined).
   */
  frameFor(cause: unknown, call: Call<TContext>): string | undefined {
    const error = getTRPCErrorFromUnknown(cause);
    this.report({ error, type: 'subscription', ...call });
    const { config } = this;
    try {
      const shape = getErrorShape({ config, error, type: 'subscription', ...call });
      return errorFrame(JSON.stringify(config.transformer.output.serialize(shape)));
    } catch (thrown: unknown) {
      console.error('@photogram/trpc-sse: the error shape could not be built', error, thrown);
    }
    try {
      const code = 'INTERNAL_SERVER_ERROR';
      const shape = {
        message: 'Internal server error',
        code: TRPC_ERROR_CODES_BY_KEY[code],
        data: { code, httpStatus: 500, path: call.path },
      };
      return errorFrame(JSON.stringify(config.transformer.output.serialize(shape)));
    } catch {
      // The transformer cannot serialize a plain object; the stream ends without a frame.
      return undefined;
    }
  }

  /** Tells `onError`; never throws. */
  report(opts: SSEErrorOptions<TContext>) {
    if (!this.onError) return;
    try {
      this.onError(opts);
    } catch (thrown: unknown) {
      console.error('@photogram/trpc-sse: onError threw while reporting', opts.error, thrown);
    }
  }
}

/** The refusal while `close()` runs or has run: clients retry, against the next server. */
export const shuttingDown = () =>
  new TRPCError({ code: 'SERVICE_UNAVAILABLE', message: 'The server is shutting down.' });

/** As the stock path answers when the router has `sse.enabled: false`. */
export const sseDisabled = () =>
  new TRPCError({
    code: 'METHOD_NOT_SUPPORTED',
    message: 'Missing experimental flag "sseSubscriptions"',
  });

/** As the stock path answers a subscription that returned something it cannot stream. */
export const notStreamable = (path: string) =>
  new TRPCError({
    code: 'INTERNAL_SERVER_ERROR',
    message: `Subscription ${path} did not return an observable or a AsyncGenerator`,
  });

/** Bad `?input=` JSON is the client's fault, with the parser's message, as on the stock path. */
export function badInput(cause: unknown): TRPCError {
  if (cause instanceof TRPCError) return cause;
  return new TRPCError({
    code: 'BAD_REQUEST',
    message: cause instanceof Error ? cause.message : 'Invalid input',
    cause,
  });
}
