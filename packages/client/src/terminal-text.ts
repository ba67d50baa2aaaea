/**
 * Whether a code point could steer a terminal or reorder what it shows: C0 controls
 * (newline included), DEL, C1 controls (U+009B is a one-character CSI), the line and
 * paragraph separators, and the bidi embeddings, overrides and isolates of
 * "Trojan Source" (U+202A–U+202E, U+2066–U+2069).
 */
function isUnsafe(code: number): boolean {
  return (
    code <= 0x1f ||
    (code >= 0x7f && code <= 0x9f) ||
    code === 0x2028 ||
    code === 0x2029 ||
    (code >= 0x202a && code <= 0x202e) ||
    (code >= 0x2066 && code <= 0x2069)
  );
}

function escapeCode(code: number): string {
  if (code === 0x09) return '\\t';
  if (code === 0x0d) return '\\r';
  return code <= 0xff
    ? `\\x${code.toString(16).padStart(2, '0')}`
    : `\\u${code.toString(16).padStart(4, '0')}`;
}

/** `text` with each unsafe code unit replaced by what `replace` returns for it. */
function replaceUnsafe(text: string, replace: (code: number) => string): string {
  let safe = '';
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (!isUnsafe(code)) continue;
    safe += text.slice(start, i) + replace(code);
    start = i + 1;
  }
  return start === 0 ? text : safe + text.slice(start);
}

/**
 * Someone else's text (a caption, a name, a server's message) made safe to print to a
 * terminal: every control character, ESC (so no escape sequence can clear the screen,
 * retitle the window or move the cursor) and every bidi override is shown as a visible
 * escape such as `\x1b` or `\u202e`, and a line break as `⏎`, so the text stays on
 * the one line the CLI gave it and cannot pass itself off as the CLI's next line.
 *
 * Backslashes are left as they are: a caption that spells `\x1b` out looks like one
 * that had the real character, which misleads nobody about what the CLI printed.
 *
 * ```ts
 * terminalText('\u001b[2Jhi\u202e'); // '\\x1b[2Jhi\\u202e'
 * ```
 */
export function terminalText(text: string): string {
  // A CRLF is one line break.
  return replaceUnsafe(text.replaceAll('\r\n', '\n'), (code) =>
    code === 0x0a ? '⏎' : escapeCode(code),
  );
}

/**
 * `JSON.stringify(value)` with C1 controls, DEL, the line separators and bidi overrides
 * written as `\uXXXX` too (JSON.stringify escapes only C0). JSON lines are for programs,
 * which get exactly the same strings back from `JSON.parse`, so this costs them nothing;
 * it only spares a person who runs `watch --json` in a terminal. Outside strings JSON
 * text holds none of these characters, so the replacement never touches structure.
 */
export function terminalJson(value: unknown): string {
  return replaceUnsafe(JSON.stringify(value), (code) => `\\u${code.toString(16).padStart(4, '0')}`);
}
