import { hash, verify } from '@node-rs/argon2';

// OWASP's argon2id baseline (19 MiB, 2 passes, 1 lane). @node-rs/argon2 defaults to argon2id.
const options = { memoryCost: 19_456, timeCost: 2, parallelism: 1, outputLen: 32 } as const;

export function hashPassword(password: string): Promise<string> {
  return hash(password, options);
}

export async function verifyPassword(passwordHash: string, password: string): Promise<boolean> {
  try {
    return await verify(passwordHash, password);
  } catch (error: unknown) {
    // A malformed stored hash is a wrong password, not a crash; it should never happen.
    if (error instanceof Error) return false;
    throw error;
  }
}

let dummyHash: Promise<string> | undefined;

/**
 * Spends the time of one verification against a throwaway hash, so that an unknown
 * username answers as slowly as a wrong password and cannot be told apart by timing.
 */
export async function burnVerification(password: string): Promise<void> {
  dummyHash ??= hashPassword('photogram-timing-equaliser');
  await verifyPassword(await dummyHash, password);
}
