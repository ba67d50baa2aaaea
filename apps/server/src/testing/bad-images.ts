import { PostMessages } from '@photogram/contracts';
import sharp from 'sharp';
import { pngHeaderClaiming, solidImage, svgImage } from './images';

/** A bad image upload: what it is, its bytes (null: no file), and what the person reads. */
export interface BadImage {
  what: string;
  bytes: Buffer | null;
  file?: { name: string; type: string };
  message: string;
}

/**
 * The files every image upload (a post's photo, a profile photo) must refuse with a 400
 * and a sentence, leaving no row and no file: `maxBytes` is the server's limit.
 */
export async function badImages(maxBytes: number): Promise<BadImage[]> {
  const goodJpeg = await solidImage(400, 300, 'jpeg');
  const gif = await sharp({ create: { width: 8, height: 8, channels: 3, background: '#000' } })
    .gif()
    .toBuffer();
  return [
    {
      what: 'a text file named .jpg',
      bytes: Buffer.from('hello, I am not a photo\n'.repeat(20)),
      message: PostMessages.notAnImage,
    },
    {
      what: 'a truncated JPEG',
      bytes: goodJpeg.subarray(0, Math.floor(goodJpeg.length / 2)),
      message: PostMessages.notAnImage,
    },
    {
      what: 'an SVG',
      bytes: svgImage,
      file: { name: 'drawing.svg', type: 'image/svg+xml' },
      message: PostMessages.notAnImage,
    },
    {
      what: 'a GIF',
      bytes: gif,
      file: { name: 'a.gif', type: 'image/gif' },
      message: PostMessages.notAnImage,
    },
    { what: 'a 0-byte file', bytes: Buffer.alloc(0), message: PostMessages.imageEmpty },
    {
      what: 'a file over the limit',
      bytes: Buffer.alloc(maxBytes + 1, 1),
      message: PostMessages.imageTooLarge(maxBytes),
    },
    {
      what: 'a 30,000 × 30,000 PNG',
      bytes: pngHeaderClaiming(30_000, 30_000),
      file: { name: 'bomb.png', type: 'image/png' },
      message: PostMessages.tooManyPixels(100_000_000),
    },
    { what: 'a missing image', bytes: null, message: PostMessages.imageRequired },
  ];
}
