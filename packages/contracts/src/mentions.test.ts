import { expect, test } from 'vitest';
import { mentionedUsernames, mentionSegments } from './mentions';

test('@names where a person writes them are mentions, lower-cased, once each', () => {
  expect(mentionedUsernames('@Alice look, (@bob_2) and @alice again')).toEqual(['alice', 'bob_2']);
  expect(mentionedUsernames('line one\n@carol.d: yes')).toEqual(['carol.d']);
});

test('a dot or punctuation ending the sentence is not part of the name', () => {
  expect(mentionedUsernames('thanks @bob.')).toEqual(['bob']);
  expect(mentionedUsernames('thanks @bob... really, @carol!')).toEqual(['bob', 'carol']);
});

test('e-mail addresses, URLs and impossible names are not mentions', () => {
  expect(mentionedUsernames('write to bob@example.com')).toEqual([]);
  expect(mentionedUsernames('see https://example.com/@bob and mailto:@bob')).toEqual([]);
  expect(mentionedUsernames('http://user@host.example')).toEqual([]);
  expect(mentionedUsernames('@@bob @ bob')).toEqual([]);
  expect(mentionedUsernames('@ab is too short')).toEqual([]);
  expect(mentionedUsernames(`@${'a'.repeat(31)} is too long`)).toEqual([]);
  expect(mentionedUsernames('@élodie is not a username')).toEqual([]);
});

test('segments keep every character, in order, with mentions marked', () => {
  const text = 'hi @Bob. and bob@example.com';
  const segments = mentionSegments(text);
  expect(segments).toEqual([
    { text: 'hi ' },
    { text: '@Bob', username: 'bob' },
    { text: '. and bob@example.com' },
  ]);
  expect(segments.map((segment) => segment.text).join('')).toBe(text);
});
