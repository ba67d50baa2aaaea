import { PostMessages } from '@photogram/contracts';
import type { Metadata } from 'sharp';
import { expect, test, vi } from 'vitest';
import { ServiceBusyError, ValidationError } from '../errors';
import { DECODE_LIMITS, decodeBudget } from './decode-budget';
import { DecodePool } from './decode-pool';

const MiB = 1024 * 1024;

/** A header as sharp's `metadata()` reports it; only the fields the budget reads matter. */
function header(fields: Partial<Metadata> & { width: number; height: number }) {
  const base: Metadata = {
    width: fields.width,
    height: fields.height,
    space: 'srgb',
    depth: 'uchar',
    isPalette: false,
    format: 'jpeg',
    channels: 3,
    chromaSubsampling: '4:2:0',
    isProgressive: false,
    hasProfile: false,
    hasAlpha: false,
    autoOrient: { width: fields.width, height: fields.height },
  };
  return Object.assign(base, fields);
}

function refusal(run: () => unknown): string {
  try {
    run();
  } catch (error: unknown) {
    if (error instanceof ValidationError) return error.message;
    throw error;
  }
  throw new Error('expected a ValidationError');
}

const bytes = (n: number) => Buffer.alloc(n);

test('a baseline JPEG streams: up to 100 MP, counted as one streamed decode', () => {
  const budget = decodeBudget(header({ width: 10_000, height: 10_000 }), bytes(20 * MiB));
  expect(budget).toEqual({
    limitInputPixels: DECODE_LIMITS.streamedMaxPixels,
    costBytes: DECODE_LIMITS.streamedDecodeBytes,
  });
  expect(
    refusal(() => decodeBudget(header({ width: 10_001, height: 10_000 }), bytes(20 * MiB))),
  ).toBe(PostMessages.tooManyPixels(100_000_000));
});

test('a file claiming far more pixels than its bytes could hold is refused as implausible', () => {
  // Issue 11's bomb: 100 MP in 573 KB.
  expect(
    refusal(() => decodeBudget(header({ width: 10_000, height: 10_000 }), bytes(573_000))),
  ).toBe(PostMessages.implausiblePixels(100_000_000, 573_000));
  // A flat 12 MP AVIF costs ~240 MB to decode: it must be as plausible as a large image.
  const avif = header({ format: 'heif', compression: 'av1', width: 4_000, height: 3_000 });
  expect(refusal(() => decodeBudget(avif, bytes(20_000)))).toBe(
    PostMessages.implausiblePixels(12_000_000, 20_000),
  );
  // A flat image that is cheap to decode may be as small as it likes (a screenshot).
  expect(decodeBudget(header({ width: 4_000, height: 3_000 }), bytes(20_000)).costBytes).toBe(
    DECODE_LIMITS.streamedDecodeBytes,
  );
});

test('progressive JPEGs are decoded whole: their pixels are limited by the bytes the coefficients take', () => {
  const progressive = (width: number, height: number, chromaSubsampling: string) =>
    header({ width, height, isProgressive: true, chromaSubsampling });
  // 12 MP at 4:2:0: ~40 MB.
  const photo = decodeBudget(progressive(4_000, 3_000, '4:2:0'), bytes(3 * MiB));
  expect(photo.costBytes / MiB).toBeCloseTo(37.8, 0);
  const maxAt444 = Math.floor(DECODE_LIMITS.decodeBytes / (2.2 * 3));
  expect(refusal(() => decodeBudget(progressive(7_000, 7_000, '4:4:4'), bytes(12 * MiB)))).toBe(
    PostMessages.tooLargeToDecode('progressive JPEG', maxAt444),
  );
});

test('interlaced PNGs, lossless WebPs and AVIFs are decoded whole too; simple lossy WebPs stream', () => {
  const interlaced = header({
    format: 'png',
    isProgressive: true,
    channels: 4,
    width: 8_000,
    height: 8_000,
  });
  expect(refusal(() => decodeBudget(interlaced, bytes(9 * MiB)))).toMatch(
    /interlaced PNG can have at most 53 megapixels/,
  );
  const lossyWebp = Buffer.concat([Buffer.from('RIFF\0\0\0\0WEBPVP8 ', 'latin1'), bytes(3 * MiB)]);
  expect(
    decodeBudget(header({ format: 'webp', width: 8_000, height: 8_000 }), lossyWebp).costBytes,
  ).toBe(DECODE_LIMITS.streamedDecodeBytes);
  const avif = header({ format: 'heif', compression: 'av1', width: 4_000, height: 3_000 });
  expect(decodeBudget(avif, bytes(2 * MiB)).costBytes / MiB).toBeCloseTo(228.9, 0);
  expect(
    refusal(() => decodeBudget({ ...avif, width: 5_000, height: 3_000 }, bytes(3 * MiB))),
  ).toBe(
    PostMessages.tooLargeToDecode('AVIF or HEIC image', Math.floor(DECODE_LIMITS.decodeBytes / 20)),
  );
});

/** A decode that runs until the test lets it finish. */
function heldDecode() {
  let finish: () => void = () => {};
  const done = new Promise<void>((resolve) => {
    finish = resolve;
  });
  let started = false;
  return {
    work: async () => {
      started = true;
      await done;
    },
    finish,
    started: () => started,
  };
}

test('the decode pool runs a few at a time, within its byte budget, in order, and refuses past its queue', async () => {
  const pool = new DecodePool({ concurrency: 2, budgetBytes: 100, maxQueued: 2 });
  const [a, b, c, d] = [heldDecode(), heldDecode(), heldDecode(), heldDecode()];
  if (!a || !b || !c || !d) throw new Error('four decodes');
  const runs = [pool.run(60, a.work), pool.run(60, b.work)];
  // b does not fit beside a (120 > 100): it waits though a slot is free.
  await Promise.resolve();
  expect([a.started(), b.started()]).toEqual([true, false]);
  runs.push(pool.run(10, c.work));
  expect(pool.load).toEqual({ running: 1, waiting: 2, reservedBytes: 60 });
  // The queue is full: the next is refused at once, with a wait.
  const refused = await pool.run(10, d.work).catch((error: unknown) => error);
  if (!(refused instanceof ServiceBusyError)) throw new Error('expected a ServiceBusyError');
  expect(refused.message).toBe(PostMessages.serverBusy(refused.retryAfterSeconds));
  expect(d.started()).toBe(false);
  a.finish();
  await vi.waitFor(() => expect([b.started(), c.started()]).toEqual([true, true]));
  expect(pool.load).toEqual({ running: 2, waiting: 0, reservedBytes: 70 });
  b.finish();
  c.finish();
  await Promise.all(runs);
  expect(pool.load).toEqual({ running: 0, waiting: 0, reservedBytes: 0 });
  // A decode above the whole budget still runs, alone.
  await pool.run(1_000, async () => {
    expect(pool.load.reservedBytes).toBe(100);
  });
});
