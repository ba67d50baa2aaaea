import { expect, test } from 'vitest';
import { z } from 'zod';
import { SignInInput, SignUpInput } from './auth';

test('usernames are trimmed and lower-cased before the rules apply', () => {
  expect(SignUpInput.parse({ username: '  Alice.B_1 ', password: 'password123' })).toEqual({
    username: 'alice.b_1',
    password: 'password123',
  });
});

test('sign-up errors are flattened per field with sentences a person can act on', () => {
  const result = SignUpInput.safeParse({ username: 'a b', password: 'short' });
  expect(result.success).toBe(false);
  if (result.success) return;
  expect(z.flattenError(result.error).fieldErrors).toEqual({
    username: ['Username can only use letters, numbers, underscores (_) and dots (.).'],
    password: ['Password must be at least 8 characters.'],
  });
});

test('sign-in applies no format rules that would tell a wrong username from a wrong password', () => {
  expect(SignInInput.safeParse({ username: 'No Such User!', password: 'x' }).success).toBe(true);
  expect(SignInInput.safeParse({ username: '', password: 'x' }).success).toBe(false);
});
