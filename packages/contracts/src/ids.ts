import { z } from 'zod';

/**
 * The database's bigint ids (posts, notifications, follows) and per-recipient event
 * numbers as decimal strings. The server reads them as JavaScript numbers (drizzle's
 * `mode: 'number'`), so the range is 1 to 2^53 − 1: sixteen digits at most, and no
 * larger than a number holds exactly, or two ids could read as one.
 */
const DECIMAL_ID = /^[1-9][0-9]{0,15}$/;

/** Whether `value` is a decimal id (see above). */
export function isDecimalId(value: string): boolean {
  return DECIMAL_ID.test(value) && Number(value) <= Number.MAX_SAFE_INTEGER;
}

/** A decimal id field, refused with `message` (or `"0"` as well, with `zero`). */
export function decimalId(message: string, options: { zero?: boolean } = {}) {
  return z
    .string({ error: message })
    .refine((value) => (options.zero && value === '0') || isDecimalId(value), message);
}

/**
 * The text ids of people and tokens (lucia's random ids): letters, digits, `_` and `-`,
 * at most 64. Wider than the ids we make, so a made-up id is simply not found, while
 * anything that could not be one (control characters, a NUL the database would choke
 * on) is refused with a sentence.
 */
export function textId(messages: { required: string; invalid: string }) {
  return z
    .string({ error: messages.required })
    .min(1, messages.required)
    .max(64, messages.invalid)
    .regex(/^[A-Za-z0-9_-]+$/, messages.invalid);
}
