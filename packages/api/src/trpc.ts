import {
  AuthMessages,
  formatMegabytes,
  InputMessages,
  MAX_BATCH_CALLS,
  MAX_JSON_BODY_BYTES,
  PostMessages,
} from '@photogram/contracts';
import { initTRPC, type TRPC_ERROR_CODE_KEY, TRPCError } from '@trpc/server';
import superjson from 'superjson';
import { z } from 'zod';
import type { Context } from './context';
import {
  ConflictError,
  DomainError,
  ForbiddenError,
  NotFoundError,
  ServiceBusyError,
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
  [ServiceBusyError, 'SERVICE_UNAVAILABLE'],
];

/** What a person reads for an error whose message is tRPC's or a library's, not ours. */
const plainMessages: Partial<Record<TRPC_ERROR_CODE_KEY, string>> = {
  PARSE_ERROR: 'The request could not be read. Send valid JSON.',
  BAD_REQUEST: 'The request could not be read: its input is not in the form this API expects.',
  UNAUTHORIZED: AuthMessages.signInRequired,
  FORBIDDEN: 'You are not allowed to do that.',
  NOT_FOUND: 'There is nothing at this address.',
  TIMEOUT: 'The request took too long. Please try again.',
  UNSUPPORTED_MEDIA_TYPE:
    'Send the request as JSON (Content-Type: application/json), or as multipart/form-data for an upload.',
  TOO_MANY_REQUESTS: 'Too many requests. Please wait a moment and try again.',
  CLIENT_CLOSED_REQUEST: 'The request was cancelled.',
  SERVICE_UNAVAILABLE: 'The server is busy or restarting. Please try again in a moment.',
  INTERNAL_SERVER_ERROR: 'Something went wrong on our side. Please try again.',
};
const UNREADABLE = 'The request could not be completed.';

/** zod's own wording, which only a schema without its own message would show. */
const ZOD_DEFAULT = /^(Invalid|Too (small|big)|Unrecognized)\b/;

/**
 * The message a person reads. Ours (a domain error's, a schema's) stands as written;
 * anything else — tRPC's codes and internals ("PAYLOAD_TOO_LARGE", "No procedure found
 * on path …"), a library's ("Iterator value p is not an entry object") — becomes a
 * plain sentence chosen by its code, so no message made for programmers reaches a person.
 */
function personMessage(
  error: TRPCError,
  where: { path: string | undefined; type: string; maxUploadBytes: number | undefined },
): string {
  const cause = error.cause;
  if (cause instanceof DomainError) return cause.message;
  if (cause instanceof z.ZodError) {
    const issue = cause.issues[0];
    if (issue && !ZOD_DEFAULT.test(issue.message)) return issue.message;
    // A schema lacks its own message: name the field rather than quote zod.
    const field = issue?.path.join('.');
    return field ? `The field "${field}" is not valid.` : InputMessages.notAnObject;
  }
  // A body that is not JSON at all fails in JSON.parse, whatever code tRPC gives it.
  if (cause instanceof SyntaxError) return plainMessages.PARSE_ERROR ?? UNREADABLE;
  // tRPC's refusal of a batch over `maxBatchSize` (its own words, matched in a test).
  if (error.code === 'BAD_REQUEST' && error.message === 'Batch call exceeds maximum size') {
    return `That request carries too many calls: batch at most ${MAX_BATCH_CALLS} at once.`;
  }
  switch (error.code) {
    case 'PAYLOAD_TOO_LARGE':
      return (where.path === 'posts.upload' || where.path === 'users.updateAvatar') &&
        where.maxUploadBytes
        ? PostMessages.imageTooLarge(where.maxUploadBytes)
        : `That request is too large: send at most ${formatMegabytes(MAX_JSON_BODY_BYTES)}.`;
    case 'METHOD_NOT_SUPPORTED':
      return methodMessage(where.type);
    case 'NOT_FOUND':
      return where.path && where.type === 'unknown'
        ? `There is no procedure called "${where.path.slice(0, 100)}".`
        : (plainMessages.NOT_FOUND ?? UNREADABLE);
    default:
      return plainMessages[error.code] ?? UNREADABLE;
  }
}

function methodMessage(type: string): string {
  if (type === 'query') return 'This procedure reads data: call it with GET.';
  if (type === 'mutation') return 'This procedure changes data: call it with POST.';
  if (type === 'subscription') {
    return 'This procedure is a subscription: open it as an event stream (GET with Accept: text/event-stream).';
  }
  return 'That method is not supported here.';
}

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
  errorFormatter({ shape, error, path, type, ctx }) {
    const cause = error.cause;
    const zodError = cause instanceof z.ZodError ? z.flattenError(cause) : null;
    const message = personMessage(error, { path, type, maxUploadBytes: ctx?.maxUploadBytes });
    return { ...shape, message, data: { ...shape.data, zodError } };
  },
});

export const createTRPCRouter = t.router;
export const createCallerFactory = t.createCallerFactory;

/**
 * A domain error as a tRPC error with the right HTTP status; its message is what the
 * person reads (the error formatter keeps the message of any error caused by one).
 */
export function toTRPCError(error: DomainError): TRPCError {
  const code = domainCodes.find(([type]) => error instanceof type)?.[1] ?? 'BAD_REQUEST';
  return new TRPCError({ code, message: error.message, cause: error });
}

/** Turns the domain errors thrown by services and middlewares into tRPC errors. */
const domainErrors = t.middleware(async ({ next }) => {
  const result = await next();
  if (!result.ok && result.error.cause instanceof DomainError) {
    throw toTRPCError(result.error.cause);
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
  if (foreign) throw new ForbiddenError(AuthMessages.foreignOrigin);
  return next();
});

export const publicProcedure = t.procedure.use(domainErrors).use(sameOriginMutations);

export const protectedProcedure = publicProcedure.use(({ ctx, next }) => {
  if (!ctx.user || !ctx.credentialId) {
    throw new UnauthorizedError(AuthMessages.signInRequired);
  }
  return next({ ctx: { user: ctx.user, credentialId: ctx.credentialId } });
});
