import type { z } from 'zod';
import { input } from './input';
import { exactText, text } from './text';

export const USERNAME_MIN = 3;
export const USERNAME_MAX = 30;
export const PASSWORD_MIN = 8;
export const PASSWORD_MAX = 256;
export const DISPLAY_NAME_MAX = 50;

function required(label: string) {
  return (issue: { input: unknown }) =>
    issue.input === undefined || issue.input === null
      ? `${label} is required.`
      : `${label} must be text.`;
}

/**
 * A username as people type it. Usernames are unique regardless of case, so the
 * schema lower-cases what was typed: "Alice" signs up, and signs in, as "alice".
 */
export const Username = text({ subject: 'Usernames', params: { error: required('Username') } })
  .toLowerCase()
  .min(USERNAME_MIN, `Username must be at least ${USERNAME_MIN} characters.`)
  .max(USERNAME_MAX, `Username can be at most ${USERNAME_MAX} characters.`)
  .regex(/^[a-z0-9_.]+$/, 'Username can only use letters, numbers, underscores (_) and dots (.).');
export type Username = z.infer<typeof Username>;

/** A new password: its length is the only rule, as NIST SP 800-63B advises. */
export const NewPassword = exactText({
  subject: 'Passwords',
  params: { error: required('Password') },
})
  .min(PASSWORD_MIN, `Password must be at least ${PASSWORD_MIN} characters.`)
  .max(PASSWORD_MAX, `Password can be at most ${PASSWORD_MAX} characters.`);

export const DisplayName = text({
  subject: 'Display names',
  params: { error: required('Display name') },
}).max(DISPLAY_NAME_MAX, `Display name can be at most ${DISPLAY_NAME_MAX} characters.`);

export const SignUpInput = input({
  username: Username,
  password: NewPassword,
  displayName: DisplayName.optional(),
});
export type SignUpInput = z.input<typeof SignUpInput>;

/**
 * Sign-in checks only what is needed to look the account up: a wrong username and a
 * wrong password must be indistinguishable, so no format rule may reveal which it was.
 */
export const SignInInput = input({
  username: text({ subject: 'Usernames', params: { error: required('Username') } })
    .toLowerCase()
    .min(1, 'Username is required.')
    .max(USERNAME_MAX, `Username can be at most ${USERNAME_MAX} characters.`),
  password: exactText({ subject: 'Passwords', params: { error: required('Password') } })
    .min(1, 'Password is required.')
    .max(PASSWORD_MAX, `Password can be at most ${PASSWORD_MAX} characters.`),
});
export type SignInInput = z.input<typeof SignInInput>;

/** What the person sees; kept here so the server and the SPA say the same thing. */
export const AuthMessages = {
  usernameTaken: 'That username is taken. Try another one.',
  badCredentials: 'Wrong username or password.',
  signInRequired: 'Please sign in to continue.',
  /** `wait` is `waitInWords(…)`: "Too many sign-in attempts. Try again in 4 minutes." */
  tooManySignIns: (wait: string) => `Too many sign-in attempts. Try again in ${wait}.`,
  tooManySignUps: (wait: string) =>
    `Too many new accounts from your network. Try again in ${wait}.`,
  invalidToken:
    'This API token is not valid. Send it as "Authorization: Bearer <token>", with a token from your settings.',
  foreignOrigin: 'This request came from another site and was refused.',
} as const;

/**
 * A wait as people say it, rounded up: "40 seconds", "1 minute", "14 minutes", "2 hours".
 * `roundWait` gives the seconds this stands for, so `Retry-After` says the same thing.
 */
export function waitInWords(seconds: number): string {
  const rounded = roundWait(seconds);
  if (rounded < 60) return rounded === 1 ? '1 second' : `${rounded} seconds`;
  if (rounded < 2 * 60 * 60) {
    const minutes = rounded / 60;
    return minutes === 1 ? '1 minute' : `${minutes} minutes`;
  }
  return `${rounded / 3600} hours`;
}

/** Seconds rounded up to what `waitInWords` can say: whole seconds, minutes or hours. */
export function roundWait(seconds: number): number {
  const whole = Math.max(1, Math.ceil(seconds));
  if (whole < 60) return whole;
  if (whole < 2 * 60 * 60) return Math.ceil(whole / 60) * 60;
  return Math.ceil(whole / 3600) * 3600;
}
