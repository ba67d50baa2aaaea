import { AuthMessages } from '@photogram/contracts';
import type { Database } from '@photogram/db';
import { TRPCError } from '@trpc/server';
import type { Session, User } from 'lucia';
import { type Auth, hashSessionId } from './auth/lucia';
import { UnauthorizedError } from './errors';
import type { DecodePool } from './media/decode-pool';
import type { MediaStorage } from './media/storage';
import type { RateLimits } from './rate-limit';
import type { NotificationBus } from './realtime/bus';
import type { StreamCaps } from './realtime/stream-caps';
import { authenticateToken, looksLikeApiToken } from './services/tokens';

/** What the API needs from the process that hosts it; built once at start-up. */
export interface ApiDeps {
  db: Database;
  auth: Auth;
  limits: RateLimits;
  media: MediaStorage;
  /** The largest photo `posts.upload` accepts (`MAX_UPLOAD_BYTES`). */
  maxUploadBytes: number;
  bus: NotificationBus;
  /** Notifications a subscriber may leave unread before it is disconnected (default 256). */
  subscriberQueueLimit?: number;
  /** This process's count of open live streams, capped per person and per address. */
  streamCaps: StreamCaps;
  /** Where image decodes wait their turn, a few at a time; without one they all start at once. */
  decodes?: DecodePool;
  /** Logs a failure that must not fail the request (e.g. a publish after commit). */
  reportError(error: unknown, message: string): void;
}

/** One request, described without any web framework. */
export interface ContextRequest {
  headers: Headers;
  /** The client's address, for rate limits. */
  ip: string;
  /** Origins that may send cookie-authenticated mutations: the server's own and PUBLIC_ORIGIN. */
  allowedOrigins: readonly string[];
  /** Adds a `Set-Cookie` header to the response. */
  setCookie(cookie: string): void;
  /**
   * Drops the connection without a goodbye, so an EventSource reconnects and replays
   * (used when a subscriber falls too far behind).
   */
  disconnect(): void;
}

export type AuthMethod = 'cookie' | 'bearer';

/**
 * The API token in an `Authorization` header, or null when there is none. The scheme is
 * case-insensitive (RFC 9110 §11.1: `bearer` and `BEARER` are `Bearer`). A `Basic`
 * credential belongs to a proxy in front of us (nginx's `auth_basic` forwards it) and is
 * ignored. Anything else (another scheme, a bearer that is not one of our tokens, extra
 * parts) is refused with 401 rather than silently treated as signed out, so a client
 * with a mangled token hears why.
 */
export function readBearerToken(header: string | null): string | null {
  const value = header?.trim() ?? '';
  if (value === '') return null;
  const match = /^([A-Za-z0-9!#$%&'*+.^_`|~-]+)(?:[ \t]+(\S*))?$/.exec(value);
  const scheme = match?.[1]?.toLowerCase();
  if (scheme === 'basic') return null;
  const token = match?.[2] ?? '';
  if (scheme === 'bearer' && looksLikeApiToken(token)) return token;
  // A TRPCError because nothing maps domain errors before a context exists; the cause
  // marks the message as ours, to be shown as written.
  const cause = new UnauthorizedError(AuthMessages.invalidToken);
  throw new TRPCError({ code: 'UNAUTHORIZED', message: cause.message, cause });
}

export async function createContext(deps: ApiDeps, request: ContextRequest) {
  const { auth } = deps;
  let user: User | null = null;
  let session: Session | null = null;
  let authMethod: AuthMethod | null = null;

  let credentialId: string | null = null;

  const bearer = readBearerToken(request.headers.get('authorization'));
  const cookieSession = auth.readSessionCookie(request.headers.get('cookie') ?? '');
  if (bearer) {
    // A well-formed token that is unknown or revoked is no credential, as an expired
    // cookie is none: the request is anonymous and protected calls say "sign in".
    const found = await authenticateToken(deps.db, bearer);
    if (found) {
      const { id, username, displayName, bio, avatarKey, avatarThumbKey, createdAt } = found.user;
      user = { id, username, displayName, bio, avatarKey, avatarThumbKey, createdAt };
      authMethod = 'bearer';
      credentialId = found.tokenId;
    }
  } else if (cookieSession) {
    ({ user, session } = await auth.validateSession(cookieSession));
    if (session) {
      authMethod = 'cookie';
      // The hash, not the secret: it travels in NOTIFY payloads (see hashSessionId).
      credentialId = hashSessionId(session.id);
      // Lucia slides the expiry when half of it has passed: send the renewed cookie.
      if (session.fresh) request.setCookie(auth.createSessionCookie(session.id).serialize());
    } else {
      request.setCookie(auth.createBlankSessionCookie().serialize());
    }
  }

  return {
    ...deps,
    ...request,
    /** The limiters, counting in this request's database. */
    limits: deps.limits.in(deps.db),
    user,
    session,
    authMethod,
    /** The session or API token this request is authenticated with. */
    credentialId,
    /** The request carried our session cookie, valid or not. */
    hasSessionCookie: cookieSession !== null,
  };
}

export type Context = Awaited<ReturnType<typeof createContext>>;
