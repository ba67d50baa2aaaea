import { createHash, randomBytes } from 'node:crypto';
import { type ApiTokenSummary, TokenMessages } from '@photogram/contracts';
import { apiTokens, type Database, type User, users } from '@photogram/db';
import { and, desc, eq, isNull, lt, or, sql } from 'drizzle-orm';
import { generateIdFromEntropySize } from 'lucia';
import { NotFoundError } from '../errors';

/** Every token starts with this, so it is recognisable in a leaked-secret scan. */
export const TOKEN_PREFIX = 'pgt_';
const LAST_USED_RESOLUTION_MS = 60_000;

function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

export function looksLikeApiToken(value: string): boolean {
  return value.startsWith(TOKEN_PREFIX);
}

/** Creates a token; the secret is returned here once and never stored. */
export async function createToken(
  db: Database,
  params: { userId: string; name: string },
): Promise<{ token: string; summary: ApiTokenSummary }> {
  const token = `${TOKEN_PREFIX}${randomBytes(24).toString('base64url')}`;
  const [row] = await db
    .insert(apiTokens)
    .values({
      id: generateIdFromEntropySize(10),
      userId: params.userId,
      name: params.name,
      tokenHash: hashToken(token),
    })
    .returning();
  if (!row) throw new Error('insert into api_tokens returned no row');
  return {
    token,
    summary: { id: row.id, name: row.name, createdAt: row.createdAt, lastUsedAt: row.lastUsedAt },
  };
}

/** The user a bearer token acts as, or null for an unknown or revoked token. */
export async function authenticateToken(
  db: Database,
  token: string,
): Promise<{ user: User; tokenId: string } | null> {
  const [row] = await db
    .select({ user: users, tokenId: apiTokens.id, lastUsedAt: apiTokens.lastUsedAt })
    .from(apiTokens)
    .innerJoin(users, eq(users.id, apiTokens.userId))
    .where(eq(apiTokens.tokenHash, hashToken(token)))
    .limit(1);
  if (!row) return null;
  const stale = new Date(Date.now() - LAST_USED_RESOLUTION_MS);
  if (!row.lastUsedAt || row.lastUsedAt < stale) {
    // Minute resolution is plenty for "last used", and spares a write per request.
    await db
      .update(apiTokens)
      .set({ lastUsedAt: sql`now()` })
      .where(
        and(
          eq(apiTokens.id, row.tokenId),
          or(isNull(apiTokens.lastUsedAt), lt(apiTokens.lastUsedAt, stale)),
        ),
      );
  }
  return { user: row.user, tokenId: row.tokenId };
}

export async function listTokens(
  db: Database,
  params: { userId: string },
): Promise<ApiTokenSummary[]> {
  return db
    .select({
      id: apiTokens.id,
      name: apiTokens.name,
      createdAt: apiTokens.createdAt,
      lastUsedAt: apiTokens.lastUsedAt,
    })
    .from(apiTokens)
    .where(eq(apiTokens.userId, params.userId))
    .orderBy(desc(apiTokens.createdAt));
}

/** Deletes one of the user's tokens; requests with it fail from this moment on. */
export async function revokeToken(db: Database, params: { userId: string; tokenId: string }) {
  const rows = await db
    .delete(apiTokens)
    .where(and(eq(apiTokens.id, params.tokenId), eq(apiTokens.userId, params.userId)))
    .returning({ id: apiTokens.id });
  if (rows.length === 0) throw new NotFoundError(TokenMessages.tokenNotFound);
}
