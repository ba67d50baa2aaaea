import { expect, test } from 'vitest';
import type { z } from 'zod';
import { SignInInput, SignUpInput } from './auth';
import { PageInput } from './pagination';
import { Caption, PostId, uploadFields } from './posts';
import { text } from './text';
import { CreateTokenInput, RevokeTokenInput } from './tokens';
import { Bio, ByUsernameInput, Id, SearchUsersInput, UpdateProfileInput } from './users';

function firstMessage(schema: z.ZodType, value: unknown): string | undefined {
  const result = schema.safeParse(value);
  return result.success ? undefined : result.error.issues[0]?.message;
}

test('captions and bios are trimmed, NFC-normalised and keep their line breaks and tabs', () => {
  expect(Caption.parse('  Cafe\u0301 ')).toBe('Café');
  expect(Caption.parse('line one\r\nline two\rthree\n\tfour')).toBe(
    'line one\nline two\nthree\n\tfour',
  );
  expect(Bio.parse(' Hello\nworld ')).toBe('Hello\nworld');
});

test('single-line fields are trimmed and NFC-normalised', () => {
  expect(UpdateProfileInput.parse({ displayName: ' Zoe\u0308 ' })).toEqual({ displayName: 'Zoë' });
  expect(SearchUsersInput.parse({ query: ' Cafe\u0301' })).toEqual({ query: 'Café', limit: 10 });
  expect(CreateTokenInput.parse({ name: ' laptop ' })).toEqual({ name: 'laptop' });
});

test('NUL and other control characters are refused with a sentence naming the field', () => {
  for (const bad of ['a\u0000b', 'bell\u0007', '\u001b[2J', 'del\u007f', 'c1\u009b']) {
    expect(firstMessage(Caption, bad)).toBe("Captions can't contain control characters.");
    expect(firstMessage(Bio, bad)).toBe("Bios can't contain control characters.");
    expect(firstMessage(UpdateProfileInput, { displayName: bad })).toBe(
      "Display names can't contain line breaks, tabs or other control characters.",
    );
    expect(firstMessage(SearchUsersInput, { query: bad })).toBe(
      "Searches can't contain line breaks, tabs or other control characters.",
    );
    expect(firstMessage(CreateTokenInput, { name: bad })).toBe(
      "Token names can't contain line breaks, tabs or other control characters.",
    );
    expect(firstMessage(ByUsernameInput, { username: bad })).toBe(
      "Usernames can't contain line breaks, tabs or other control characters.",
    );
    expect(firstMessage(SignInInput, { username: bad, password: 'x' })).toBe(
      "Usernames can't contain line breaks, tabs or other control characters.",
    );
  }
});

test('line breaks and tabs are refused where text is single-line, even inside it', () => {
  expect(firstMessage(UpdateProfileInput, { displayName: 'two\nlines' })).toMatch(/line breaks/);
  expect(firstMessage(CreateTokenInput, { name: 'a\tb' })).toMatch(/tabs/);
});

test('bidi embedding, override and isolate controls are refused; the single-character marks are not', () => {
  const controls = [0x202a, 0x202b, 0x202c, 0x202d, 0x202e, 0x2066, 0x2067, 0x2068, 0x2069];
  for (const code of controls) {
    const spoof = `invoice${String.fromCodePoint(code)}fdp.exe`;
    expect(firstMessage(Caption, spoof)).toBe(
      "Captions can't contain hidden characters that change the direction of text.",
    );
    expect(
      firstMessage(SignUpInput, { username: 'alice', password: 'password123', displayName: spoof }),
    ).toBe("Display names can't contain hidden characters that change the direction of text.");
  }
  expect(Caption.parse('שלום\u200F!')).toBe('שלום\u200F!');
  expect(Caption.parse('\u061Cمرحبا')).toBe('\u061Cمرحبا');
});

test('lone surrogates are refused rather than stored as replacement characters', () => {
  expect(firstMessage(Caption, 'broken \ud800 text')).toBe(
    "Captions can't contain broken characters.",
  );
});

test('lengths count the trimmed, normalised text', () => {
  const schema = text({ subject: 'Names' }).max(4);
  expect(schema.parse(' Cafe\u0301 ')).toBe('Café');
});

test('passwords are kept exactly as typed, only NUL is refused', () => {
  const password = ' Cafe\u0301\u0007 pass ';
  expect(SignUpInput.parse({ username: 'alice', password })).toEqual({
    username: 'alice',
    password,
  });
  expect(SignInInput.parse({ username: 'alice', password }).password).toBe(password);
  expect(firstMessage(SignUpInput, { username: 'alice', password: 'password\u0000123' })).toBe(
    "Passwords can't contain the NUL character.",
  );
  expect(firstMessage(SignInInput, { username: 'alice', password: 'pass\u0000' })).toBe(
    "Passwords can't contain the NUL character.",
  );
});

test('ids and cursors with a NUL or a control character are refused with a sentence', () => {
  for (const bad of ['abc\u0000', 'abc\u001b', '\u202eabc', '1\u0000']) {
    expect(firstMessage(Id, bad)).toBe('That id is not valid.');
    expect(firstMessage(RevokeTokenInput, { tokenId: bad })).toBe('That token id is not valid.');
    expect(firstMessage(PostId, bad)).toBe('That post id is not valid.');
    expect(firstMessage(PageInput, { cursor: bad })).toBe('That page cursor is not valid.');
  }
  expect(Id.parse('no-such-user')).toBe('no-such-user');
  expect(PageInput.parse({ cursor: '42' })).toEqual({ cursor: '42', limit: 20 });
});

test('the upload form shows the text rule through the same caption schema', () => {
  const fields = uploadFields(1024);
  const image = new File([new Uint8Array([1])], 'a.jpg', { type: 'image/jpeg' });
  expect(firstMessage(fields, { image, caption: 'hi\u0000' })).toBe(
    "Captions can't contain control characters.",
  );
  expect(fields.parse({ image, caption: '  Cafe\u0301 ' }).caption).toBe('Café');
});
