import type { Database } from '@photogram/db';
import type { Session, User } from 'lucia';
import type { Auth } from './auth/lucia';
import type { MediaStorage } from './media/storage';
import type { RateLimits } from './rate-limit';
import type { NotificationBus } from './realtime/bus';
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
  /** Logs a failure that must not fail the request (e.g. a publish after commit). */
  reportError(error: unknown, message: string): void;
}

/** One request, described without any web framework. */
export interface RequestInfo {
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

export async function createContext(deps: ApiDeps, request: RequestInfo) {
  const { auth } = deps;
  let user: User | null = null;
  let session: Session | null = null;
  let authMethod: AuthMethod | null = null;

  let credentialId: string | null = null;

  const bearer = auth.readBearerToken(request.headers.get('authorization') ?? '');
  const cookieSession = auth.readSessionCookie(request.headers.get('cookie') ?? '');
  if (bearer) {
    // A bearer is an API token; anything else in the header is no credential at all.
    const found = looksLikeApiToken(bearer) ? await authenticateToken(deps.db, bearer) : null;
    if (found) {
      const { id, username, displayName, bio, createdAt } = found.user;
      user = { id, username, displayName, bio, createdAt };
      authMethod = 'bearer';
      credentialId = found.tokenId;
    }
  } else if (cookieSession) {
    ({ user, session } = await auth.validateSession(cookieSession));
    if (session) {
      authMethod = 'cookie';
      credentialId = session.id;
      // Lucia slides the expiry when half of it has passed: send the renewed cookie.
      if (session.fresh) request.setCookie(auth.createSessionCookie(session.id).serialize());
    } else {
      request.setCookie(auth.createBlankSessionCookie().serialize());
    }
  }

  return {
    ...deps,
    ...request,
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
