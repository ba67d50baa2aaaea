import { z } from 'zod';

/*
 * The one rule for text that people type (captions, bios, names, searches, token names).
 *
 * - C0 controls (U+0000–U+001F), DEL (U+007F) and C1 controls (U+0080–U+009F) are refused:
 *   PostgreSQL cannot store U+0000 in `text`, and the others are terminal escapes, bells
 *   and invisible junk that other people's screens would act on.
 * - Multi-line fields (captions, bios) also accept line feeds and tabs; a CR or CRLF
 *   (what a browser's form submission sends for a textarea) becomes a line feed.
 * - Bidi embedding, override and isolate controls (U+202A–U+202E, U+2066–U+2069) are
 *   refused rather than stripped: they are what "Trojan Source" spoofing uses to make
 *   text read differently from what it is, right-to-left scripts display correctly
 *   without them, and silently deleting characters would change someone's text behind
 *   their back. The marks U+200E, U+200F and U+061C stay allowed: they affect one
 *   neighbouring character and RTL writers use them.
 * - Lone surrogates (not valid Unicode, stored as U+FFFD otherwise) are refused.
 * - Surrounding whitespace is trimmed and the text is NFC-normalised, so "Cafe\u0301"
 *   and "Café" are the same caption, the same search and the same length.
 *
 * Passwords are the exception (see `auth.ts`): they are used exactly as typed.
 */

// Written with escapes so that the source itself holds no control characters.
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/u;
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point
const CONTROL_EXCEPT_NEWLINE_AND_TAB = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/u;
const BIDI_CONTROL = /[\u202a-\u202e\u2066-\u2069]/u;
const LONE_SURROGATE = /\p{Surrogate}/u;

export interface TextOptions {
  /** The field as the start of a sentence, in the plural: "Captions", "Display names". */
  subject: string;
  /** Lines and tabs allowed (captions, bios); single-line otherwise. */
  multiline?: boolean;
  /** `z.string()`'s params: the message when the value is missing or not a string. */
  params?: Parameters<typeof z.string>[0];
}

/** The messages the text rule gives, e.g. for tests and for forms that explain it. */
export const TextMessages = {
  control: (subject: string, multiline = false) =>
    multiline
      ? `${subject} can't contain control characters.`
      : `${subject} can't contain line breaks, tabs or other control characters.`,
  bidi: (subject: string) =>
    `${subject} can't contain hidden characters that change the direction of text.`,
  notText: (subject: string) => `${subject} can't contain broken characters.`,
} as const;

/**
 * A string schema with the text rule applied; chain `.min()`/`.max()` after it (they
 * then count the trimmed, normalised text).
 */
export function text({ subject, multiline = false, params }: TextOptions) {
  const forbidden = multiline ? CONTROL_EXCEPT_NEWLINE_AND_TAB : CONTROL;
  let schema = z.string(params);
  if (multiline) schema = schema.overwrite((value) => value.replace(/\r\n?/g, '\n'));
  return schema
    .trim()
    .normalize('NFC')
    .refine((value) => !forbidden.test(value), TextMessages.control(subject, multiline))
    .refine((value) => !BIDI_CONTROL.test(value), TextMessages.bidi(subject))
    .refine((value) => !LONE_SURROGATE.test(value), TextMessages.notText(subject));
}

/**
 * A string that must reach the database exactly as sent (passwords): no trimming or
 * normalising, which would change it, but no NUL, which PostgreSQL cannot store and no
 * keyboard types.
 */
export function exactText({ subject, params }: Omit<TextOptions, 'multiline'>) {
  return z
    .string(params)
    .refine((value) => !value.includes('\u0000'), `${subject} can't contain the NUL character.`);
}
