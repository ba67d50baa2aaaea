import { crc32, deflateSync } from 'node:zlib';
import sharp from 'sharp';

/**
 * A 40×20 JPEG, red on the left half and blue on the right, tagged with a GPS position
 * and EXIF orientation 6 ("rotate 90° clockwise to display"): shown upright it is a
 * 20×40 portrait with red on top.
 */
export async function jpegWithGpsAndOrientation(): Promise<Buffer> {
  const red = await sharp({ create: { width: 20, height: 20, channels: 3, background: '#ff0000' } })
    .png()
    .toBuffer();
  return sharp({ create: { width: 40, height: 20, channels: 3, background: '#0000ff' } })
    .composite([{ input: red, left: 0, top: 0 }])
    .jpeg({ quality: 95 })
    .withExif({
      IFD0: { Make: 'PhotogramTestCam', Model: 'Fixture 1' },
      IFD3: {
        GPSLatitudeRef: 'N',
        GPSLatitude: '48/1 51/1 24/1',
        GPSLongitudeRef: 'E',
        GPSLongitude: '2/1 21/1 3/1',
      },
    })
    .withMetadata({ orientation: 6 })
    .toBuffer();
}

/** A plain photo of the given size in the given format. */
export function solidImage(
  width: number,
  height: number,
  format: 'jpeg' | 'png' | 'webp' | 'avif' = 'jpeg',
  background = '#3366cc',
): Promise<Buffer> {
  return sharp({ create: { width, height, channels: 3, background } })
    .toFormat(format)
    .toBuffer();
}

/**
 * A valid PNG whose header claims `width`×`height` pixels but whose pixel data is tiny:
 * a decompression bomb's header, without the memory to build a real one.
 */
export function pngHeaderClaiming(width: number, height: number): Buffer {
  const chunk = (type: string, data: Buffer) => {
    const length = Buffer.alloc(4);
    length.writeUInt32BE(data.length);
    const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(body));
    return Buffer.concat([length, body, crc]);
  };
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header.writeUInt8(8, 8); // bit depth
  header.writeUInt8(2, 9); // truecolour
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', deflateSync(Buffer.alloc(64))),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

export const svgImage = Buffer.from(
  '<svg xmlns="http://www.w3.org/2000/svg" width="100" height="100"><rect width="100" height="100" fill="red"/></svg>',
);

/** FormData for `posts.upload`, the way a browser's file input would send it. */
export function uploadForm(
  bytes: Buffer | null,
  options: { name?: string; type?: string; caption?: string } = {},
): FormData {
  const form = new FormData();
  if (bytes) {
    form.set(
      'image',
      new File([new Uint8Array(bytes)], options.name ?? 'photo.jpg', {
        type: options.type ?? 'image/jpeg',
      }),
    );
  }
  if (options.caption !== undefined) form.set('caption', options.caption);
  return form;
}
