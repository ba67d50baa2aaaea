import { createHash } from 'node:crypto';
import { PostMessages } from '@photogram/contracts';
import sharp, { type Metadata } from 'sharp';
import { ValidationError } from '../errors';

export const DISPLAY_SIZE = 1080;
export const THUMB_SIZE = 320;
/** Decompression-bomb guard: 100 megapixels is more than any phone camera produces. */
export const MAX_IMAGE_PIXELS = 100_000_000;

export interface ImageVariant {
  key: string;
  data: Buffer;
  width: number;
  height: number;
}

export interface ProcessedImage {
  display: ImageVariant;
  thumb: ImageVariant;
}

function isAcceptedFormat(format: string | undefined, compression: string | undefined): boolean {
  if (format === 'jpeg' || format === 'png' || format === 'webp') return true;
  // AVIF and HEIC both arrive as HEIF; the codec tells them apart from other HEIF payloads.
  return format === 'heif' && (compression === 'av1' || compression === 'hevc');
}

function keyOf(data: Buffer): string {
  const hash = createHash('sha256').update(data).digest('hex');
  return `${hash.slice(0, 2)}/${hash}.webp`;
}

async function variant(bytes: Buffer, size: number, maxPixels: number): Promise<ImageVariant> {
  const { data, info } = await sharp(bytes, { limitInputPixels: maxPixels, failOn: 'truncated' })
    .rotate() // apply the EXIF orientation to the pixels; the tag itself goes with the metadata
    .resize({ width: size, height: size, fit: 'inside', withoutEnlargement: true })
    .webp({ quality: 82 })
    .toBuffer({ resolveWithObject: true }); // sharp writes no metadata unless asked
  return { key: keyOf(data), data, width: info.width, height: info.height };
}

/**
 * Decodes an upload and makes its two variants. Anything that is not a whole JPEG, PNG,
 * WebP, AVIF or HEIC image within `maxPixels` is a `ValidationError` with a message for
 * the person; the file name and declared type are never trusted.
 */
export async function processImage(
  bytes: Buffer,
  maxPixels: number = MAX_IMAGE_PIXELS,
): Promise<ProcessedImage> {
  let metadata: Metadata;
  try {
    // Reads the header only: an absurd size is refused before any pixel is decoded.
    metadata = await sharp(bytes, { limitInputPixels: false }).metadata();
  } catch (error: unknown) {
    throw new ValidationError(PostMessages.notAnImage, { cause: error });
  }
  if (!isAcceptedFormat(metadata.format, metadata.compression)) {
    throw new ValidationError(PostMessages.notAnImage);
  }
  if (!metadata.width || !metadata.height) throw new ValidationError(PostMessages.notAnImage);
  if (metadata.width * metadata.height > maxPixels) {
    throw new ValidationError(PostMessages.tooManyPixels(maxPixels));
  }
  try {
    const [display, thumb] = await Promise.all([
      variant(bytes, DISPLAY_SIZE, maxPixels),
      variant(bytes, THUMB_SIZE, maxPixels),
    ]);
    return { display, thumb };
  } catch (error: unknown) {
    // Truncated or corrupt pixel data, or a codec this build of libvips lacks.
    throw new ValidationError(PostMessages.notAnImage, { cause: error });
  }
}
