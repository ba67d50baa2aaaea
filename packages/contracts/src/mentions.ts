import { USERNAME_MAX, USERNAME_MIN } from './auth';

/** At most this many people are notified by one comment or caption (the first ones named). */
export const MENTIONS_MAX = 10;

/*
 * `@name` where a person would write one: at the start, or after a space or punctuation
 * such as "(" — not inside an e-mail address (`bob@example.com`), a URL path
 * (`example.com/@bob`) or a longer word. The name is a username's characters; dots that
 * end it end the sentence ("thanks @bob."), not the name.
 */
const MENTION = /(?<![\p{L}\p{N}_.@/:+-])@([A-Za-z0-9_.]+)/gu;
const USERNAME = /^[a-z0-9_.]+$/;

/** A piece of text as it is shown: plain, or a mention linking to `username`'s profile. */
export type TextSegment = { text: string } | { text: string; username: string };

/** `text` cut into plain pieces and `@username` mentions, in order, for display. */
export function mentionSegments(text: string): TextSegment[] {
  const segments: TextSegment[] = [];
  let plainFrom = 0;
  for (const match of text.matchAll(MENTION)) {
    const raw = match[1] ?? '';
    const name = raw.replace(/\.+$/, '');
    const username = name.toLowerCase();
    if (username.length < USERNAME_MIN || username.length > USERNAME_MAX) continue;
    if (!USERNAME.test(username)) continue;
    const at = match.index;
    if (at > plainFrom) segments.push({ text: text.slice(plainFrom, at) });
    segments.push({ text: `@${name}`, username });
    plainFrom = at + 1 + name.length;
  }
  if (plainFrom < text.length) segments.push({ text: text.slice(plainFrom) });
  return segments;
}

/** The distinct usernames `text` mentions, lower-cased, in order of first mention. */
export function mentionedUsernames(text: string): string[] {
  const names = new Set<string>();
  for (const segment of mentionSegments(text)) {
    if ('username' in segment) names.add(segment.username);
  }
  return [...names];
}
