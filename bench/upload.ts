import sharp from 'sharp';
import { signedInClient, uploadForm } from './api-client';
import { startPhotogram } from './children';
import { createBenchDatabase, seededUser, seedUsers } from './database';
import { distinctCopies, twelveMegapixelJpeg } from './images';
import { type Summary, summarize } from './stats';

export interface UploadResult {
  mode: 'sequential' | 'parallel';
  concurrency: number;
  /** Milliseconds per upload, request to response. */
  latency: Summary;
  perSecond: number;
  failures: number;
  firstFailure: string | null;
}

export interface UploadRun {
  transport: string | null;
  /**
   * sharp alone, in the bench process, making the same two variants (1080 px and 320 px
   * WebP at quality 82, auto-oriented) from the same photos: what the uploads are held to.
   */
  sharpAlone: UploadResult[];
  photoBytes: number;
  /** Distinct display / thumbnail keys the server stored, out of `uploads`. */
  distinctDisplay: number;
  distinctThumb: number;
  uploads: number;
  results: UploadResult[];
}

export interface UploadOptions {
  databaseUrl: string | undefined;
  sequential: number;
  parallel: number;
  concurrency: number;
  log(message: string): void;
}

/** Uploads allowed per user and hour (`uploadPerUser`); the bench stays under it. */
const UPLOADS_PER_USER = 60;

/** 12-megapixel uploads through `posts.upload`, one at a time and `concurrency` at once. */
export async function runUploads(options: UploadOptions): Promise<UploadRun> {
  const total = 1 + options.sequential + options.parallel;
  const users = Math.max(4, Math.ceil(total / (UPLOADS_PER_USER / 2)));
  options.log(`  making ${total} distinct 12-megapixel JPEGs`);
  const photo = await twelveMegapixelJpeg();
  const photos = distinctCopies(photo, total);

  const database = await createBenchDatabase('upload', options.databaseUrl);
  try {
    const seeding = await database.open();
    try {
      await seedUsers(seeding.db, 'uploader', users);
    } finally {
      await seeding.close();
    }
    const server = await startPhotogram(database);
    try {
      const clients = Array.from({ length: users }, (_, i) =>
        signedInClient(server.url, seededUser('uploader', i + 1).session),
      );
      const displayKeys = new Set<string>();
      const thumbKeys = new Set<string>();
      let next = 0;
      // Uploads rotate over the users, so no one of them nears the hourly limit.
      const uploadOne = async () => {
        const index = next++;
        const client = clients[index % users];
        const bytes = photos[index];
        if (!client || !bytes) throw new Error('ran out of photos');
        const form = uploadForm(bytes, `Upload ${index}`);
        const started = performance.now();
        const post = await client.posts.upload.mutate(form);
        const ms = performance.now() - started;
        displayKeys.add(post.image.url);
        thumbKeys.add(post.image.thumbUrl);
        return ms;
      };

      await uploadOne(); // warm-up: sharp's first call loads libvips' codecs
      const results = [
        await timed('sequential', 1, options.sequential, uploadOne),
        await timed('parallel', options.concurrency, options.parallel, uploadOne),
      ];
      // The same photos again, through sharp and nothing else, while the server idles.
      let nextPhoto = 0;
      const variantsOne = async () => {
        const bytes = photos[nextPhoto++ % photos.length];
        if (!bytes) throw new Error('ran out of photos');
        const started = performance.now();
        await sharpVariants(bytes);
        return performance.now() - started;
      };
      await variantsOne();
      const sharpAlone = [
        await timed('sequential', 1, options.sequential, variantsOne),
        await timed('parallel', options.concurrency, options.parallel, variantsOne),
      ];
      return {
        transport: server.ready.transport,
        sharpAlone,
        photoBytes: photo.length,
        distinctDisplay: displayKeys.size,
        distinctThumb: thumbKeys.size,
        uploads: next,
        results,
      };
    } finally {
      await server.stop();
    }
  } finally {
    await database.remove();
  }
}

/**
 * The two variants the way a sharp user would first write them: one pipeline per size,
 * both at once (each decodes the JPEG, with shrink-on-load). No metadata read, no limits,
 * no hashing, no storage, no HTTP: the floor for what an upload can cost.
 */
async function sharpVariants(jpeg: Buffer) {
  const variant = (size: number) =>
    sharp(jpeg)
      .rotate()
      .resize({ width: size, height: size, fit: 'inside', withoutEnlargement: true })
      .webp({ quality: 82 })
      .toBuffer();
  return Promise.all([variant(1080), variant(320)]);
}

async function timed(
  mode: UploadResult['mode'],
  concurrency: number,
  count: number,
  uploadOne: () => Promise<number>,
): Promise<UploadResult> {
  const latencies: number[] = [];
  let failures = 0;
  let firstFailure: string | null = null;
  let started = 0;
  const startedAt = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (started < count) {
        started += 1;
        try {
          latencies.push(await uploadOne());
        } catch (error: unknown) {
          failures += 1;
          firstFailure ??= error instanceof Error ? error.message : String(error);
        }
      }
    }),
  );
  const seconds = (performance.now() - startedAt) / 1000;
  return {
    mode,
    concurrency,
    latency: summarize(latencies),
    perSecond: latencies.length / seconds,
    failures,
    firstFailure,
  };
}
