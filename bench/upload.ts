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
      return {
        transport: server.ready.transport,
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
