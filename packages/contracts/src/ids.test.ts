import { expect, test } from 'vitest';
import { decimalId, isDecimalId, textId } from './ids';
import { OnUploadInput } from './notifications';
import { PageInput } from './pagination';
import { PostId } from './posts';

test('a decimal id is 1 to 2^53 − 1, the ids a JavaScript number holds exactly', () => {
  expect(isDecimalId('1')).toBe(true);
  expect(isDecimalId(String(Number.MAX_SAFE_INTEGER))).toBe(true);
  // One more is 16 digits too, but reads as a number another id also reads as.
  expect(isDecimalId(String(Number.MAX_SAFE_INTEGER + 1))).toBe(false);
  for (const bad of ['0', '01', '-1', '1.5', '1e3', ' 1', '12345678901234567', '']) {
    expect(isDecimalId(bad), bad).toBe(false);
  }
});

test('posts, cursors and event ids share the one rule; only an event id may be "0"', () => {
  const largest = String(Number.MAX_SAFE_INTEGER);
  const tooLarge = '9007199254740992';
  expect(PostId.safeParse(largest).success).toBe(true);
  expect(PostId.safeParse(tooLarge).success).toBe(false);
  expect(PageInput.safeParse({ cursor: largest }).success).toBe(true);
  expect(PageInput.safeParse({ cursor: tooLarge }).success).toBe(false);
  expect(OnUploadInput.safeParse({ lastEventId: '0' }).success).toBe(true);
  expect(OnUploadInput.safeParse({ lastEventId: tooLarge }).success).toBe(false);
  expect(PostId.safeParse('0').success).toBe(false);
  expect(decimalId('no').safeParse(1).error?.issues[0]?.message).toBe('no');
});

test('text ids refuse what could not be an id, with the messages given', () => {
  const TokenId = textId({ required: 'Need one.', invalid: 'Not one.' });
  expect(TokenId.safeParse('abc_DEF-123').success).toBe(true);
  expect(TokenId.safeParse('').error?.issues[0]?.message).toBe('Need one.');
  expect(TokenId.safeParse('a\u0000b').error?.issues[0]?.message).toBe('Not one.');
  expect(TokenId.safeParse('x'.repeat(65)).error?.issues[0]?.message).toBe('Not one.');
});
