import { expect, test } from 'vitest';
import { TooManyRequestsError } from '../errors';
import { StreamCaps, StreamMessages } from './stream-caps';

test('the caps count open streams and take back a closed one exactly once', () => {
  const caps = new StreamCaps({ perUser: 2, perAddress: 3 });
  const first = caps.open('alice', '10.0.0.1');
  caps.open('alice', '10.0.0.1');
  expect(() => caps.open('alice', '10.0.0.2')).toThrow(StreamMessages.perUser(2));
  first();
  first(); // a second release must not free a place held by another stream
  caps.open('alice', '10.0.0.2');
  expect(() => caps.open('alice', '10.0.0.3')).toThrow(TooManyRequestsError);
  expect(caps.countFor('alice')).toBe(2);
});

test('the per-address cap counts everyone behind the address, except exempt ones', () => {
  const caps = new StreamCaps({ perUser: 10, perAddress: 2, exempt: ['127.0.0.1'] });
  caps.open('alice', '10.0.0.1');
  caps.open('bob', '10.0.0.1');
  expect(() => caps.open('carol', '10.0.0.1')).toThrow(StreamMessages.perAddress(2));
  for (let index = 0; index < 5; index += 1) caps.open(`local${index}`, '127.0.0.1');
});

test('0 turns a cap off', () => {
  const caps = new StreamCaps({ perUser: 0, perAddress: 0 });
  for (let index = 0; index < 100; index += 1) caps.open('alice', '10.0.0.1');
  expect(caps.countFor('alice')).toBe(100);
});
