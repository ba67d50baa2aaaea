import { expect, test } from 'vitest';
import { reconnectDelay } from './trpc-route';

test('the reconnect window is 1–5 s for a small server and grows with its open streams, up to a minute', () => {
  expect([reconnectDelay(0, 0), reconnectDelay(0, 1)]).toEqual([1_000, 5_000]);
  expect(reconnectDelay(1_000, 1)).toBe(5_000);
  expect(reconnectDelay(10_000, 1)).toBe(21_000);
  expect(reconnectDelay(10_000, 0.5)).toBe(11_000);
  expect(reconnectDelay(1_000_000, 1)).toBe(60_000);
});
