import type { AnyTRPCRouter, inferRouterContext } from '@trpc/server';
import { createCallerFactory } from '@trpc/server/unstable-core-do-not-import';

type ProcedureCall = (input: unknown) => Promise<unknown>;

/**
 * Calls a router's procedures by path through `createCaller`, so a subscription's
 * middlewares, input parser and context run as in any other call, and its `signal` is the
 * stream's.
 */
export function procedureCaller<TRouter extends AnyTRPCRouter>(router: TRouter) {
  const createCaller = createCallerFactory()(router);
  return (
    ctx: inferRouterContext<TRouter>,
    path: string,
    input: unknown,
    signal: AbortSignal,
  ): Promise<unknown> => procedureAt(createCaller(ctx, { signal }), path)(input);
}

/** `caller.a.b` for the path `a.b`: the caller is a proxy, so any path can be walked. */
function procedureAt(caller: unknown, path: string): ProcedureCall {
  let node = caller as Record<string, unknown>;
  for (const key of path.split('.')) node = node[key] as Record<string, unknown>;
  return node as unknown as ProcedureCall;
}
