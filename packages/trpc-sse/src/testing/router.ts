import type { IncomingHttpHeaders } from 'node:http';
import { initTRPC, TRPCError, tracked } from '@trpc/server';
import { observable } from '@trpc/server/observable';
import { type TRPC_ERROR_CODE_KEY, TRPC_ERROR_CODES_BY_KEY } from '@trpc/server/rpc';
import superjson from 'superjson';
import { z } from 'zod';
import { SharedPayload } from '../shared-payload';

export interface Ctx {
  user: { id: string } | null;
}

/**
 * `authorization: Bearer good` (or the connection param `token: 'good'`) is the only credential
 * the toy router accepts; `Bearer boom` makes context creation itself throw.
 */
export function createToyContext(
  headers: IncomingHttpHeaders,
  connectionParams: Record<string, string | undefined> | null,
): Ctx {
  if (headers.authorization === 'Bearer boom') {
    throw new TRPCError({ code: 'FORBIDDEN', message: 'context refused' });
  }
  const good = headers.authorization === 'Bearer good' || connectionParams?.token === 'good';
  return { user: good ? { id: 'user-1' } : null };
}

/** The tracked counter's dates are `BASE_MS + i`, so every body it produces is deterministic. */
export const BASE_MS = Date.UTC(2024, 0, 1);
export const PING_INTERVAL_MS = 250;
export const RECONNECT_AFTER_INACTIVITY_MS = 1_000;
/** What the error formatter adds to every error's `data`: proves it ran. */
export const FORMATTER_MARK = 'formatted-by-toy-router';

export const ERROR_CODES = Object.keys(TRPC_ERROR_CODES_BY_KEY) as TRPC_ERROR_CODE_KEY[];

/** What a long-lived procedure reports about itself, per test key. */
export interface Probe {
  opened: number;
  aborted: number;
  finalized: number;
}
const probes = new Map<string, Probe>();
export function probe(key: string): Probe {
  let found = probes.get(key);
  if (!found) {
    found = { opened: 0, aborted: 0, finalized: 0 };
    probes.set(key, found);
  }
  return found;
}

function untilAborted(signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    if (!signal || signal.aborted) return resolve();
    signal.addEventListener('abort', () => resolve(), { once: true });
  });
}

const keyInput = z.object({ key: z.string() });

/** The `sse` options of `initTRPC.create()` the variants differ in. */
interface SSEConfig {
  enabled?: boolean;
  maxDurationMs?: number;
  ping?: { enabled: boolean; intervalMs?: number };
  client?: { reconnectAfterInactivityMs?: number };
}

function createToyRouter(sse: SSEConfig) {
  const t = initTRPC.context<Ctx>().create({
    transformer: superjson,
    // no stack traces in error shapes: they name the adapter's frames and would differ per transport
    isDev: false,
    errorFormatter: ({ shape }) => ({ ...shape, data: { ...shape.data, mark: FORMATTER_MARK } }),
    sse,
  });

  const authed = t.procedure.use(({ ctx, next }) => {
    if (!ctx.user) throw new TRPCError({ code: 'UNAUTHORIZED', message: 'sign in first' });
    return next({ ctx: { user: ctx.user } });
  });

  return t.router({
    whoami: t.procedure.query(({ ctx }) => ctx.user?.id ?? null),

    counter: t.procedure
      .input(
        z.object({
          to: z.number().int().min(0, 'to must not be negative').max(1_000),
          lastEventId: z.string().nullish(),
        }),
      )
      .subscription(async function* ({ input }) {
        const from = input.lastEventId ? Number(input.lastEventId) + 1 : 1;
        for (let i = from; i <= input.to; i++) {
          yield tracked(String(i), { i, at: new Date(BASE_MS + i) });
        }
      }),

    /**
     * Three recipients of one `SharedPayload` (their own ids spliced into its text on the
     * trpc-sse path, serialized whole on the stock path), then one changed after `attach`.
     */
    shared: t.procedure.subscription(async function* () {
      const payload = new SharedPayload({
        type: 'upload',
        at: new Date(BASE_MS),
        by: { name: 'Alice "A" \u2028', tags: new Set(['a']) },
        post: { caption: 'line one\nline "two" 🌅' },
      });
      const shared = payload.shared;
      for (const [index, id] of ['1', '2', 'x"\n'].entries()) {
        const value = { id, type: shared.type, at: shared.at, by: shared.by, post: shared.post };
        yield tracked(String(index + 1), payload.attach(value));
      }
      const changed = payload.attach({
        id: '4',
        type: shared.type,
        at: shared.at,
        by: shared.by,
        post: shared.post,
      });
      changed.type = 'changed';
      yield changed;
    }),

    untracked: t.procedure.subscription(async function* () {
      yield { n: 1, at: new Date(BASE_MS + 1) };
      yield { n: 2, at: new Date(BASE_MS + 2) };
      yield 'three';
    }),

    observed: t.procedure.subscription(() =>
      observable<{ n: number; at: Date }>((emit) => {
        emit.next({ n: 1, at: new Date(BASE_MS + 1) });
        emit.next({ n: 2, at: new Date(BASE_MS + 2) });
        emit.complete();
      }),
    ),

    burst: t.procedure
      .input(z.object({ count: z.number().int().positive(), size: z.number().int().positive() }))
      .subscription(async function* ({ input }) {
        const filler = 'x'.repeat(input.size);
        for (let i = 0; i < input.count; i++) yield `${i}:${filler}`;
      }),

    fails: t.procedure
      .input(
        z.object({
          code: z.enum(ERROR_CODES as [TRPC_ERROR_CODE_KEY, ...TRPC_ERROR_CODE_KEY[]]),
          afterOneYield: z.boolean().default(false),
          key: z.string().optional(),
        }),
      )
      .subscription(async function* ({ input }) {
        if (input.afterOneYield) yield 'before the failure';
        throw new TRPCError({ code: input.code, message: `failed with ${input.code}` });
      }),

    secret: authed.subscription(async function* ({ ctx }) {
      yield tracked('1', { userId: ctx.user.id });
    }),

    waitsForAbort: t.procedure.input(keyInput).subscription(async function* ({ input, signal }) {
      const p = probe(input.key);
      p.opened++;
      try {
        yield 'ready';
        await untilAborted(signal);
        if (signal?.aborted) p.aborted++;
      } finally {
        p.finalized++;
      }
    }),

    silent: t.procedure.input(keyInput).subscription(async function* ({ input, signal }) {
      const p = probe(input.key);
      p.opened++;
      try {
        await untilAborted(signal);
        if (signal?.aborted) p.aborted++;
        // an async generator that never yields still has to be one
        if (!signal) yield 'unreachable';
      } finally {
        p.finalized++;
      }
    }),

    firehose: t.procedure
      .input(z.object({ key: z.string(), size: z.number().int().positive() }))
      .subscription(async function* ({ input, signal }) {
        const p = probe(input.key);
        p.opened++;
        const chunk = 'x'.repeat(input.size);
        try {
          // 64 MiB at most, far beyond any socket buffer: the server has to stop it first
          for (let sent = 0; sent < 64 * 1024 * 1024 && !signal?.aborted; sent += input.size) {
            yield chunk;
          }
          if (signal?.aborted) p.aborted++;
        } finally {
          p.finalized++;
        }
      }),
  });
}

const client = { reconnectAfterInactivityMs: RECONNECT_AFTER_INACTIVITY_MS };
export const MAX_DURATION_MS = 300;

/** Each variant of the toy router, by the URL prefix the test servers serve it at. */
export const ROUTERS = {
  /** Pings every 250 ms; clients give up after 1 s without a frame. */
  '/trpc/': createToyRouter({ ping: { enabled: true, intervalMs: PING_INTERVAL_MS }, client }),
  /** No pings: clients time out and reconnect. */
  '/quiet/': createToyRouter({ ping: { enabled: false }, client }),
  /** Streams end after `MAX_DURATION_MS`. */
  '/limited/': createToyRouter({ maxDurationMs: MAX_DURATION_MS }),
  /** `sse.enabled: false`: subscriptions over SSE are refused. */
  '/disabled/': createToyRouter({ enabled: false }),
};
export type Prefix = keyof typeof ROUTERS;
export const PREFIXES = Object.keys(ROUTERS) as Prefix[];
export const toyRouter = ROUTERS['/trpc/'];
export type ToyRouter = typeof toyRouter;
