import { createHash } from 'node:crypto';
import { DrizzlePostgreSQLAdapter } from '@lucia-auth/adapter-drizzle';
import { type Database, sessions, users } from '@photogram/db';
import { type Adapter, type DatabaseSession, Lucia, TimeSpan } from 'lucia';

export const SESSION_COOKIE = 'photogram_session';

export interface AuthOptions {
  /** Mark the cookie `Secure`: true when Photogram is served over https. */
  secureCookies: boolean;
}

/**
 * What a session is known by at rest and between processes: the SHA-256 (hex) of the
 * cookie's value. The `sessions` table holds only this, so reading the table (a backup, a
 * leaked dump) signs nobody in; it is also the session's `credentialId`, sent in NOTIFY
 * payloads to end its streams on other processes.
 */
export function hashSessionId(sessionId: string): string {
  return createHash('sha256').update(sessionId).digest('hex');
}

/**
 * The drizzle adapter, storing and looking up hashed ids. Lucia keeps working with the
 * cookie's value: each id it passes in is hashed, and a session read back by id carries
 * the id Lucia asked for. `getUserSessions` can only return hashes (the values are not
 * stored), so its ids cannot be put in a cookie; Photogram does not call it.
 */
export class HashedSessionAdapter implements Adapter {
  readonly #inner: Adapter;

  constructor(inner: Adapter) {
    this.#inner = inner;
  }

  async getSessionAndUser(sessionId: string): ReturnType<Adapter['getSessionAndUser']> {
    const [session, user] = await this.#inner.getSessionAndUser(hashSessionId(sessionId));
    return [session ? { ...session, id: sessionId } : null, user];
  }

  getUserSessions(userId: string): Promise<DatabaseSession[]> {
    return this.#inner.getUserSessions(userId);
  }

  setSession(session: DatabaseSession): Promise<void> {
    return this.#inner.setSession({ ...session, id: hashSessionId(session.id) });
  }

  updateSessionExpiration(sessionId: string, expiresAt: Date): Promise<void> {
    return this.#inner.updateSessionExpiration(hashSessionId(sessionId), expiresAt);
  }

  deleteSession(sessionId: string): Promise<void> {
    return this.#inner.deleteSession(hashSessionId(sessionId));
  }

  deleteUserSessions(userId: string): Promise<void> {
    return this.#inner.deleteUserSessions(userId);
  }

  deleteExpiredSessions(): Promise<void> {
    return this.#inner.deleteExpiredSessions();
  }
}

/**
 * Lucia v3 over our drizzle tables: sessions last 30 days and slide while in use, and are
 * stored by hash (`HashedSessionAdapter`).
 */
export function createAuth(db: Database, options: AuthOptions) {
  const adapter = new HashedSessionAdapter(new DrizzlePostgreSQLAdapter(db, sessions, users));
  return new Lucia(adapter, {
    sessionExpiresIn: new TimeSpan(30, 'd'),
    sessionCookie: {
      name: SESSION_COOKIE,
      expires: true,
      attributes: { secure: options.secureCookies, sameSite: 'lax', path: '/' },
    },
    // Only what is safe to carry around: the password hash never leaves the service.
    getUserAttributes: (row) => ({
      username: row.username,
      displayName: row.displayName,
      bio: row.bio,
      avatarKey: row.avatarKey,
      avatarThumbKey: row.avatarThumbKey,
      createdAt: row.createdAt,
    }),
  });
}

export type Auth = ReturnType<typeof createAuth>;

declare module 'lucia' {
  interface Register {
    Lucia: Auth;
    DatabaseUserAttributes: {
      username: string;
      displayName: string;
      bio: string;
      avatarKey: string | null;
      avatarThumbKey: string | null;
      createdAt: Date;
    };
  }
}
