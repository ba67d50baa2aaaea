import sharp from 'sharp';

/**
 * A 12-megapixel (4000×3000) JPEG at quality 85 that weighs what a phone photo does
 * (~3 MiB): smooth gradients carrying grain, since a clean gradient compresses to a
 * fraction of a real photo and would make the upload look cheaper than it is.
 */
export async function twelveMegapixelJpeg(): Promise<Buffer> {
  const width = 4000;
  const height = 3000;
  const pixels = Buffer.alloc(width * height * 3);
  let seed = 12_345;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      // A 32-bit linear congruential generator (Math.imul keeps it exact): deterministic
      // grain, the same file every run.
      seed = (Math.imul(seed, 1_103_515_245) + 12_345) >>> 0;
      const grain = ((seed >>> 16) % 33) - 16;
      const offset = (y * width + x) * 3;
      pixels[offset] = clamp((x * 255) / width + grain);
      pixels[offset + 1] = clamp((y * 255) / height + grain);
      pixels[offset + 2] = clamp(128 + 64 * Math.sin((x + y) / 300) + grain);
    }
  }
  return sharp(pixels, { raw: { width, height, channels: 3 } })
    .jpeg({ quality: 85 })
    .toBuffer();
}

function clamp(value: number) {
  return Math.max(0, Math.min(255, Math.round(value)));
}

/**
 * Zigzag positions of the 15 lowest AC frequencies (the top-left 4×4 of each 8×8 block):
 * a change there survives decoding and the downscale to 1080 px. Not every higher one
 * does: with sharp 0.35, raising an entry in row or column 4 left the display image
 * byte-identical.
 */
const LOW_FREQUENCIES = [1, 2, 3, 4, 5, 6, 7, 8, 9, 11, 12, 13, 17, 18, 24];

/**
 * `count` different photos made from one JPEG without re-encoding 12 megapixels each time
 * (~0.4 s apiece): each copy raises one low-frequency entry of the luminance quantization
 * table by a step, which changes every decoded block a little, so every upload stores a
 * new display image (storage is content-addressed: an identical upload would skip the
 * write). The thumbnails differ too, since they are made from the display pixels.
 */
export function distinctCopies(jpeg: Buffer, count: number): Buffer[] {
  const table = luminanceTable(jpeg);
  return Array.from({ length: count }, (_, index) => {
    const copy = Buffer.from(jpeg);
    const entry = table + (LOW_FREQUENCIES[index % LOW_FREQUENCIES.length] ?? 1);
    const step = 1 + Math.floor(index / LOW_FREQUENCIES.length);
    copy[entry] = Math.min(255, (copy[entry] ?? 0) + step);
    return copy;
  });
}

/** Offset of the first entry of the 8-bit quantization table 0 (luminance). */
function luminanceTable(jpeg: Buffer): number {
  let offset = 2; // after SOI
  while (offset + 4 < jpeg.length && jpeg[offset] === 0xff) {
    const marker = jpeg[offset + 1];
    const length = jpeg.readUInt16BE(offset + 2);
    if (marker === 0xda) break; // start of scan: entropy-coded data follows
    if (marker === 0xdb) {
      // One segment may hold several tables: a precision/id byte, then 64 or 128 bytes.
      for (let table = offset + 4; table < offset + 2 + length; ) {
        const precisionAndId = jpeg[table] ?? 0;
        if (precisionAndId === 0) return table + 1;
        table += 1 + (precisionAndId >> 4 === 0 ? 64 : 128);
      }
    }
    offset += 2 + length;
  }
  throw new Error('no 8-bit luminance quantization table in the JPEG');
}

/** A small photo: the fan-out measures delivery, not image processing. */
export function smallJpeg(): Promise<Buffer> {
  return sharp({ create: { width: 64, height: 48, channels: 3, background: '#3366cc' } })
    .jpeg()
    .toBuffer();
}
