import { PostMessages } from '@photogram/contracts';
import type { Metadata } from 'sharp';
import { ValidationError } from '../errors';

const MiB = 1024 * 1024;

/**
 * How much an upload may make the decoder allocate, judged from its header before any pixel
 * is decoded. What a decode costs depends on how the file is laid out, not on its pixel
 * count alone (peak RSS of one decode to 1080 px with `sequentialRead`, sharp 0.35 /
 * libvips 8.18, measured on 24 MP files):
 * - baseline JPEG, non-interlaced PNG, lossy WebP stream through libvips a few lines at a
 *   time, with JPEG shrink-on-load: 7–26 MiB whatever the size (9 MiB for 100 MP);
 * - a progressive JPEG keeps every DCT coefficient until the last scan: 2 bytes per sample,
 *   3.2 bytes a pixel at 4:2:0, 6 at 4:4:4 (a 10000×10000 one: ~300 MiB);
 * - an interlaced PNG is decoded whole by libspng (3.7 bytes a pixel for RGB8), a lossless
 *   or extended WebP whole by libwebp (4), an AVIF/HEIC whole by libheif and aom (18–19).
 */
export const DECODE_LIMITS = {
  /** Pixels of an image that streams (`MAX_IMAGE_PIXELS`): more than any phone camera makes. */
  streamedMaxPixels: 100_000_000,
  /**
   * The most one decode may be expected to allocate: a progressive 4:2:0 JPEG up to ~81 MP,
   * 4:4:4 ~40 MP, an interlaced RGBA PNG ~53 MP, a lossless WebP ~63 MP, an AVIF/HEIC
   * ~13 MP (a 12 MP phone photo fits). Such a decode runs alone (`DECODE_POOL`).
   */
  decodeBytes: 256 * MiB,
  /** What a streamed decode is counted as in that budget (the most measured, rounded up). */
  streamedDecodeBytes: 32 * MiB,
  /**
   * Above this many pixels, or when its decode is expected to allocate more than
   * `plausibleFromBytes`, a file must carry at least one byte per `maxPixelsPerByte`
   * pixels. A real photo takes 1–4 bits a pixel (12 MP in ~3 MB); below a quarter of a bit
   * it is a flat image with a huge header, which is what a decompression bomb is (the one
   * from issue 11: 100 MP in 573 KB, 174 pixels a byte; a flat 12 MP AVIF is a few KB and
   * costs ~225 MB to decode). Images cheap to decode may be as flat as they like
   * (screenshots, drawings).
   */
  plausibleFromPixels: 24_000_000,
  plausibleFromBytes: 64 * MiB,
  maxPixelsPerByte: 32,
} as const;

export interface DecodeBudget {
  /** For sharp's `limitInputPixels`: the decoder refuses anything larger itself. */
  limitInputPixels: number;
  /** What this decode is expected to allocate, for the decode pool's budget. */
  costBytes: number;
}

/** DCT samples per pixel of a JPEG from sharp's `chromaSubsampling` ("4:2:0", "4:4:4:4"). */
function jpegSamplesPerPixel(metadata: Metadata): number {
  const parts = metadata.chromaSubsampling?.split(':') ?? [];
  const luma = parts.length === 4 ? 2 : 1; // the fourth figure is alpha or K (CMYK)
  const chroma = { '4:2:0': 0.5, '4:2:2': 1, '4:4:0': 1, '4:4:4': 2 }[parts.slice(0, 3).join(':')];
  return chroma === undefined ? (metadata.channels ?? 4) : luma + chroma;
}

/** A WebP in the simple lossy format ('VP8 '), which libwebp decodes row by row. */
function isSimpleLossyWebp(bytes: Buffer): boolean {
  return bytes.toString('latin1', 12, 16) === 'VP8 ';
}

/**
 * Bytes per pixel a whole-image decode allocates, or null when the image streams. The
 * factors are the measurements above, rounded up.
 */
function wholeDecodeBytesPerPixel(metadata: Metadata, bytes: Buffer): number | null {
  switch (metadata.format) {
    case 'jpeg':
      return metadata.isProgressive ? 2.2 * jpegSamplesPerPixel(metadata) : null;
    case 'png': {
      if (!metadata.isProgressive) return null;
      const sampleBytes = metadata.depth === 'ushort' ? 2 : 1;
      return 1.25 * (metadata.channels ?? 4) * sampleBytes;
    }
    case 'webp':
      return isSimpleLossyWebp(bytes) ? null : 4.2;
    default:
      return 20; // AVIF and HEIC
  }
}

function kindOf(metadata: Metadata): string {
  if (metadata.format === 'jpeg') return 'progressive JPEG';
  if (metadata.format === 'png') return 'interlaced PNG';
  if (metadata.format === 'webp') return 'lossless WebP';
  return 'AVIF or HEIC image';
}

/**
 * Decides from the header whether an upload may be decoded and what it will cost, or throws
 * a `ValidationError` a person can act on. `width`/`height` must already be known.
 */
export function decodeBudget(
  metadata: Metadata & { width: number; height: number },
  bytes: Buffer,
  streamedMaxPixels: number = DECODE_LIMITS.streamedMaxPixels,
): DecodeBudget {
  const pixels = metadata.width * metadata.height;
  if (pixels > streamedMaxPixels) {
    throw new ValidationError(PostMessages.tooManyPixels(streamedMaxPixels));
  }
  const perPixel = wholeDecodeBytesPerPixel(metadata, bytes);
  const expensive =
    pixels > DECODE_LIMITS.plausibleFromPixels ||
    (perPixel !== null && pixels * perPixel > DECODE_LIMITS.plausibleFromBytes);
  if (expensive && pixels > bytes.length * DECODE_LIMITS.maxPixelsPerByte) {
    throw new ValidationError(PostMessages.implausiblePixels(pixels, bytes.length));
  }
  if (perPixel === null) {
    return { limitInputPixels: streamedMaxPixels, costBytes: DECODE_LIMITS.streamedDecodeBytes };
  }
  const maxPixels = Math.min(streamedMaxPixels, Math.floor(DECODE_LIMITS.decodeBytes / perPixel));
  if (pixels > maxPixels) {
    throw new ValidationError(PostMessages.tooLargeToDecode(kindOf(metadata), maxPixels));
  }
  return {
    limitInputPixels: maxPixels,
    costBytes: Math.max(DECODE_LIMITS.streamedDecodeBytes, Math.ceil(pixels * perPixel)),
  };
}
