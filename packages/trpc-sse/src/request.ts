import type { IncomingMessage } from 'node:http';
import type { AnyTRPCRouter } from '@trpc/server';
import { parseConnectionParamsFromString, type TRPCRequestInfo } from '@trpc/server/http';
import {
  getProcedureAtPath,
  isObject,
  urlPathToProcedurePath,
} from '@trpc/server/unstable-core-do-not-import';
import { badInput } from './errors';

type RouterConfig = AnyTRPCRouter['_def']['_config'];
type Procedure = TRPCRequestInfo['calls'][number]['procedure'];

/** A GET for a subscription procedure, read from the request as tRPC's stock handler reads it. */
export interface SubscriptionRequest {
  /** The procedure path, `notifications.onUpload`. */
  path: string;
  procedure: Procedure;
  url: URL;
  /** `?input=` as sent: JSON of the transformer's output, not parsed yet (see `readInput`). */
  inputText: string | null;
  /** The id the client's EventSource resumes from (`Last-Event-ID` or its query fallbacks). */
  lastEventId: string | null;
  connectionParams: TRPCRequestInfo['connectionParams'];
}

/**
 * The subscription `req` asks for at `urlPath`, or null for anything this transport does
 * not serve: other methods, batches, queries and mutations, unknown paths, malformed paths
 * or `connectionParams`. Those go back to the stock handler, so their answers (errors
 * included) stay tRPC's own. Never rejects.
 */
export async function readSubscriptionRequest(
  router: AnyTRPCRouter,
  req: IncomingMessage,
  urlPath: string,
): Promise<SubscriptionRequest | null> {
  if (req.method !== 'GET') return null;
  let url: URL;
  let path: string;
  let connectionParams: TRPCRequestInfo['connectionParams'];
  let procedure: Procedure | null;
  try {
    url = new URL(req.url ?? '/', 'http://localhost');
    if (url.searchParams.get('batch') === '1') return null;
    path = urlPathToProcedurePath(decodeURIComponent(urlPath), router._def._config.pathSeparator);
    const params = url.searchParams.get('connectionParams');
    connectionParams = params === null ? null : parseConnectionParamsFromString(params);
    // A lazy router that fails to load is the stock handler's to answer as well.
    procedure = await getProcedureAtPath(router, path);
  } catch {
    return null;
  }
  if (procedure?._def.type !== 'subscription') return null;
  return {
    path,
    procedure,
    url,
    inputText: url.searchParams.get('input'),
    lastEventId: readLastEventId(req, url),
    connectionParams,
  };
}

/** The request's `?input=`, through the transformer; bad JSON is a BAD_REQUEST. */
export function readInput(config: RouterConfig, text: string | null): unknown {
  if (!text) return undefined;
  try {
    return config.transformer.input.deserialize(JSON.parse(text));
  } catch (cause: unknown) {
    throw badInput(cause);
  }
}

/** tRPC's `info` for `createContext`, as the stock adapter builds it. */
export function requestInfo(
  config: RouterConfig,
  request: SubscriptionRequest,
  signal: AbortSignal,
  /** The input once it has been read (what `info.calls[0].result()` answers). */
  readInputSoFar: () => unknown,
): TRPCRequestInfo {
  return {
    accept: null,
    type: 'subscription',
    isBatchCall: false,
    calls: [
      {
        path: request.path,
        batchIndex: 0,
        procedure: request.procedure,
        getRawInput: async () =>
          withLastEventId(readInput(config, request.inputText), request.lastEventId),
        result: readInputSoFar,
      },
    ],
    connectionParams: request.connectionParams,
    signal,
    url: request.url,
  };
}

/** tRPC merges the reconnect id into an object input (or makes one) for subscriptions. */
export function withLastEventId(input: unknown, lastEventId: string | null): unknown {
  if (!lastEventId) return input;
  if (isObject(input)) return { ...input, lastEventId };
  return input ?? { lastEventId };
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
