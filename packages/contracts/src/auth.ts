import { z } from 'zod';
import { exactText, text } from './text';

export const USERNAME_MIN = 3;
export const USERNAME_MAX = 30;
export const PASSWORD_MIN = 8;
export const PASSWORD_MAX = 256;
export const DISPLAY_NAME_MAX = 50;

function required(label: string) {
  return (issue: { input: unknown }) =>
    issue.input === undefined || issue.input === null
      ? `${label} is required`
      : `${label} must be text`;
}

/**
 * A username as people type it. Usernames are unique regardless of case, so the
 * schema lower-cases what was typed: "Alice" signs up, and signs in, as "alice".
 */
export const Username = text({ subject: 'Usernames', params: { error: required('Username') } })
  .toLowerCase()
  .min(USERNAME_MIN, `Username must be at least ${USERNAME_MIN} characters`)
  .max(USERNAME_MAX, `Username can be at most ${USERNAME_MAX} characters`)
  .regex(/^[a-z0-9_.]+$/, 'Username can only use letters, numbers, "_" and "."');
export type Username = z.infer<typeof Username>;

/** A new password: its length is the only rule, as NIST SP 800-63B advises. */
export const NewPassword = exactText({
  subject: 'Passwords',
  params: { error: required('Password') },
})
  .min(PASSWORD_MIN, `Password must be at least ${PASSWORD_MIN} characters`)
  .max(PASSWORD_MAX, `Password can be at most ${PASSWORD_MAX} characters`);

export const DisplayName = text({
  subject: 'Display names',
  params: { error: required('Display name') },
}).max(DISPLAY_NAME_MAX, `Display name can be at most ${DISPLAY_NAME_MAX} characters`);

export const SignUpInput = z.object({
  username: Username,
  password: NewPassword,
  displayName: DisplayName.optional(),
});
export type SignUpInput = z.input<typeof SignUpInput>;

/**
 * Sign-in checks only what is needed to look the account up: a wrong username and a
 * wrong password must be indistinguishable, so no format rule may reveal which it was.
 */
export const SignInInput = z.object({
  username: text({ subject: 'Usernames', params: { error: required('Username') } })
    .toLowerCase()
    .min(1, 'Username is required')
    .max(USERNAME_MAX, `Username can be at most ${USERNAME_MAX} characters`),
  password: exactText({ subject: 'Passwords', params: { error: required('Password') } })
    .min(1, 'Password is required')
    .max(PASSWORD_MAX, `Password can be at most ${PASSWORD_MAX} characters`),
});
export type SignInInput = z.input<typeof SignInInput>;

/** What the person sees; kept here so the server and the SPA say the same thing. */
export const AuthMessages = {
  usernameTaken: 'That username is taken. Try another one.',
  badCredentials: 'Wrong username or password.',
  signInRequired: 'Please sign in to continue.',
  tooManyAttempts: 'Too many attempts. Please wait a few minutes and try again.',
  foreignOrigin: 'This request came from another site and was refused.',
} as const;
