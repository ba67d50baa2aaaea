import { expect, test } from 'vitest';
import { hashPassword, verifyPassword } from './password';

test('passwords are stored as argon2id hashes and verify only with the right password', async () => {
  const stored = await hashPassword('correct horse battery');
  expect(stored).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
  expect(await verifyPassword(stored, 'correct horse battery')).toBe(true);
  expect(await verifyPassword(stored, 'Correct horse battery')).toBe(false);
  expect(await verifyPassword('not a hash', 'anything')).toBe(false);
});
