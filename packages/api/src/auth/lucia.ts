import { DrizzlePostgreSQLAdapter } from '@lucia-auth/adapter-drizzle';
import { type Database, sessions, users } from '@photogram/db';
import { Lucia, TimeSpan } from 'lucia';

export const SESSION_COOKIE = 'photogram_session';

export interface AuthOptions {
  /** Mark the cookie `Secure`: true when Photogram is served over https. */
  secureCookies: boolean;
}

/** Lucia v3 over our drizzle tables: sessions last 30 days and slide while in use. */
export function createAuth(db: Database, options: AuthOptions) {
  const adapter = new DrizzlePostgreSQLAdapter(db, sessions, users);
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
      createdAt: Date;
    };
  }
}
