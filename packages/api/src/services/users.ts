import { AuthMessages, type Me } from '@photogram/contracts';
import { type Database, sqlState, UNIQUE_VIOLATION, type User, users } from '@photogram/db';
import { eq, sql } from 'drizzle-orm';
import { generateIdFromEntropySize } from 'lucia';
import { burnVerification, hashPassword, verifyPassword } from '../auth/password';
import { ConflictError, UnauthorizedError } from '../errors';
import { mediaUrl } from '../media/urls';
import { toUserSummary } from './user-summary';

export interface CreateUserParams {
  username: string;
  password: string;
  displayName?: string | undefined;
}

/** The signed-in person's own view of their account. */
export function toMe(
  user: Pick<
    User,
    'id' | 'username' | 'displayName' | 'bio' | 'avatarKey' | 'avatarThumbKey' | 'createdAt'
  >,
): Me {
  return {
    ...toUserSummary(user),
    avatarLargeUrl: user.avatarKey === null ? null : mediaUrl(user.avatarKey),
    bio: user.bio,
    createdAt: user.createdAt,
  };
}

/** Creates an account; a username taken in any letter case is a `ConflictError`. */
export async function createUser(db: Database, params: CreateUserParams): Promise<User> {
  const taken = await findUserByUsername(db, params.username);
  if (taken) throw new ConflictError(AuthMessages.usernameTaken);

  const passwordHash = await hashPassword(params.password);
  try {
    const [user] = await db
      .insert(users)
      .values({
        id: generateIdFromEntropySize(10),
        username: params.username,
        displayName: params.displayName || params.username,
        passwordHash,
      })
      .returning();
    if (!user) throw new Error('insert into users returned no row');
    return user;
  } catch (error: unknown) {
    // Two sign-ups for the same name at once: the unique index decides.
    if (sqlState(error) === UNIQUE_VIOLATION) throw new ConflictError(AuthMessages.usernameTaken);
    throw error;
  }
}

export async function findUserByUsername(
  db: Database,
  username: string,
): Promise<User | undefined> {
  const [user] = await db
    .select()
    .from(users)
    .where(eq(sql`lower(${users.username})`, username.toLowerCase()))
    .limit(1);
  return user;
}

/**
 * The user whose password this is. Any mismatch, unknown name or wrong password,
 * is the same `UnauthorizedError` after the same amount of work.
 */
export async function verifyCredentials(
  db: Database,
  params: { username: string; password: string },
): Promise<User> {
  const user = await findUserByUsername(db, params.username);
  if (!user) {
    await burnVerification(params.password);
    throw new UnauthorizedError(AuthMessages.badCredentials);
  }
  if (!(await verifyPassword(user.passwordHash, params.password))) {
    throw new UnauthorizedError(AuthMessages.badCredentials);
  }
  return user;
}
