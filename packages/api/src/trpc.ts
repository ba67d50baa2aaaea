import { AuthMessages } from '@photogram/contracts';
import { initTRPC, type TRPC_ERROR_CODE_KEY, TRPCError } from '@trpc/server';
import superjson from 'superjson';
import { z } from 'zod';
import type { Context } from './context';
import {
  ConflictError,
  type DomainError,
  ForbiddenError,
  NotFoundError,
  TooManyRequestsError,
  UnauthorizedError,
  ValidationError,
} from './errors';

const domainCodes: ReadonlyArray<[new (...args: never[]) => DomainError, TRPC_ERROR_CODE_KEY]> = [
  [NotFoundError, 'NOT_FOUND'],
  [ForbiddenError, 'FORBIDDEN'],
  [ConflictError, 'CONFLICT'],
  [UnauthorizedError, 'UNAUTHORIZED'],
  [ValidationError, 'BAD_REQUEST'],
  [TooManyRequestsError, 'TOO_MANY_REQUESTS'],
];

const t = initTRPC.context<Context>().create({
  transformer: superjson,
  // Never send stack traces to clients; the server logs them.
  isDev: false,
  sse: {
    // A comment line every 15 s keeps proxies from closing an idle stream; a client that
    // hears nothing (not even a ping) for 40 s reconnects, so dead connections are noticed.
    ping: { enabled: true, intervalMs: 15_000 },
    client: { reconnectAfterInactivityMs: 40_000 },
  },
  errorFormatter({ shape, error }) {
    const cause = error.cause;
    const zodError = cause instanceof z.ZodError ? z.flattenError(cause) : null;
    let message = shape.message;
    if (cause instanceof z.ZodError) {
      message = cause.issues[0]?.message ?? 'Some fields are not valid.';
    } else if (error.code === 'PARSE_ERROR' || cause instanceof SyntaxError) {
      message = 'The request could not be read. Send valid JSON.';
    } else if (error.code === 'INTERNAL_SERVER_ERROR') {
      message = 'Something went wrong on our side. Please try again.';
    }
    return { ...shape, message, data: { ...shape.data, zodError } };
  },
});

export const createTRPCRouter = t.router;
export const createCallerFactory = t.createCallerFactory;
export const mergeRouters = t.mergeRouters;

/** Turns the domain errors thrown by services into tRPC errors with the right HTTP status. */
const domainErrors = t.middleware(async ({ next }) => {
  const result = await next();
  if (!result.ok) {
    const cause = result.error.cause;
    for (const [type, code] of domainCodes) {
      if (cause instanceof type) throw new TRPCError({ code, message: cause.message, cause });
    }
  }
  return result;
});

/**
 * A mutation authenticated by cookie must come from our own pages: a foreign `Origin`
 * is refused, and so is a missing one when a session cookie is present (browsers always
 * send `Origin` on POST). Bearer-token clients need none.
 */
const sameOriginMutations = t.middleware(({ ctx, type, next }) => {
  if (type !== 'mutation' || ctx.authMethod === 'bearer') return next();
  const origin = ctx.headers.get('origin');
  const foreign = origin ? !ctx.allowedOrigins.includes(origin) : ctx.hasSessionCookie;
  if (foreign) throw new TRPCError({ code: 'FORBIDDEN', message: AuthMessages.foreignOrigin });
  return next();
});

export const publicProcedure = t.procedure.use(domainErrors).use(sameOriginMutations);

export const protectedProcedure = publicProcedure.use(({ ctx, next }) => {
  if (!ctx.user || !ctx.credentialId) {
    throw new TRPCError({ code: 'UNAUTHORIZED', message: AuthMessages.signInRequired });
  }
  return next({ ctx: { user: ctx.user, credentialId: ctx.credentialId } });
});
