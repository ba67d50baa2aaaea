import { createHash } from 'node:crypto';
import { PostMessages } from '@photogram/contracts';
import sharp, { type Metadata, type OutputInfo, type ResizeOptions, type Sharp } from 'sharp';
import { DomainError, ValidationError } from '../errors';
import { DECODE_LIMITS, decodeBudget } from './decode-budget';
import type { DecodePool } from './decode-pool';

export const DISPLAY_SIZE = 1080;
export const THUMB_SIZE = 320;
export const AVATAR_SIZE = 320;
export const AVATAR_THUMB_SIZE = 96;

/** The two sizes an image is made in: `display` from the decode, `thumb` from those pixels. */
export interface VariantPlan {
  display: ResizeOptions;
  thumb: ResizeOptions;
}

/** A post: longest side 1080 px and 320 px, never enlarged. */
export const POST_VARIANTS: VariantPlan = {
  display: { width: DISPLAY_SIZE, height: DISPLAY_SIZE, fit: 'inside', withoutEnlargement: true },
  thumb: { width: THUMB_SIZE, height: THUMB_SIZE, fit: 'inside', withoutEnlargement: true },
};

/** A profile photo: a centred square, 320 px and 96 px, so every avatar is round and whole. */
export const AVATAR_VARIANTS: VariantPlan = {
  display: { width: AVATAR_SIZE, height: AVATAR_SIZE, fit: 'cover' },
  thumb: { width: AVATAR_THUMB_SIZE, height: AVATAR_THUMB_SIZE, fit: 'cover' },
};
/** Decompression-bomb guard: 100 megapixels is more than any phone camera produces. */
export const MAX_IMAGE_PIXELS = DECODE_LIMITS.streamedMaxPixels;

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

async function encode(image: Sharp): Promise<ImageVariant> {
  // sharp writes no metadata unless asked: EXIF (GPS above all) and ICC stay behind.
  const { data, info } = await image.webp({ quality: 82 }).toBuffer({ resolveWithObject: true });
  return { key: keyOf(data), data, width: info.width, height: info.height };
}

/**
 * One decode for both variants: the upload is decoded once, straight to display size (so
 * libvips can use JPEG shrink-on-load and, with `sequentialRead`, stream what streams),
 * and the thumbnail is made from those display pixels. Decoding it again for the thumbnail
 * would double the decoder's memory and most of the CPU time for no better picture.
 */
async function decodeToDisplaySize(bytes: Buffer, limitInputPixels: number, plan: VariantPlan) {
  return sharp(bytes, {
    limitInputPixels,
    sequentialRead: true,
    // Pixel data that stops early is refused; a decoder's mere warnings are not, since
    // phone cameras write some that every viewer shows without a fuss.
    failOn: 'truncated',
  })
    .rotate() // apply the EXIF orientation to the pixels; the tag itself goes with the metadata
    .resize(plan.display)
    .raw({ depth: 'uchar' })
    .toBuffer({ resolveWithObject: true });
}

/** Both variants from the display-size pixels (at most 1080×1080×4 bytes: small). */
async function encodeVariants(
  pixels: Buffer,
  info: OutputInfo,
  plan: VariantPlan,
): Promise<ProcessedImage> {
  const raw = { raw: { width: info.width, height: info.height, channels: info.channels } };
  const [display, thumb] = await Promise.all([
    encode(sharp(pixels, raw)),
    encode(sharp(pixels, raw).resize(plan.thumb)),
  ]);
  return { display, thumb };
}

export interface ProcessImageOptions {
  /** The most pixels of an image that streams (`DECODE_LIMITS.streamedMaxPixels`). */
  maxPixels?: number;
  /** The pool decodes wait their turn in; without one, a decode starts at once. */
  decodes?: DecodePool;
  /** The sizes to make; a post's by default. */
  variants?: VariantPlan;
}

/**
 * Decodes an upload and makes its two variants. Anything that is not a whole JPEG, PNG,
 * WebP, AVIF or HEIC image within the decode budget (`decodeBudget`) is a
 * `ValidationError` with a message for the person; the file name and declared type are
 * never trusted. When the pool has no room, `ServiceBusyError`.
 */
export async function processImage(
  bytes: Buffer,
  options: ProcessImageOptions = {},
): Promise<ProcessedImage> {
  let metadata: Metadata;
  try {
    // Reads the header only: the budget is decided before any pixel is decoded.
    metadata = await sharp(bytes, { limitInputPixels: false }).metadata();
  } catch (error: unknown) {
    throw new ValidationError(PostMessages.notAnImage, { cause: error });
  }
  if (!isAcceptedFormat(metadata.format, metadata.compression)) {
    throw new ValidationError(PostMessages.notAnImage);
  }
  const { width, height } = metadata;
  if (!width || !height) throw new ValidationError(PostMessages.notAnImage);
  const budget = decodeBudget({ ...metadata, width, height }, bytes, options.maxPixels);
  const plan = options.variants ?? POST_VARIANTS;
  const work = async () => {
    const { data, info } = await decodeToDisplaySize(bytes, budget.limitInputPixels, plan);
    return encodeVariants(data, info, plan);
  };
  try {
    // The encodes stay in the pool with their decode: a pool slot is then a whole upload's
    // work, so under load uploads finish one after another in arrival order rather than
    // all late together, and two slots keep two cores busy.
    return await (options.decodes ? options.decodes.run(budget.costBytes, work) : work());
  } catch (error: unknown) {
    if (error instanceof DomainError) throw error;
    // Truncated or corrupt pixel data, or a codec this build of libvips lacks.
    throw new ValidationError(PostMessages.notAnImage, { cause: error });
  }
}
