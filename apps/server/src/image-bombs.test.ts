import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DECODE_LIMITS } from '@photogram/api';
import { PostMessages } from '@photogram/contracts';
import sharp from 'sharp';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { failure, type Person, signUpPerson } from './testing/client';
import { migratedPostgres, type PostgresTestDatabase } from './testing/database';
import { uploadForm } from './testing/images';
import { type SpawnedServer, spawnServer } from './testing/process';

const MiB = 1024 * 1024;

/** `src/main.ts` in its own process, as `npm start` runs it: its memory is the server's alone. */
let spawned: SpawnedServer;
let person: Person;
let database: PostgresTestDatabase | null = null;
/** 10000×10000, progressive, flat: ~0.6 MB that a decoder must hold ~300 MB of coefficients for. */
let bomb: Buffer;
/** 12 MP, progressive, with detail: ~2 MB, really decoded (~40 MB of coefficients). */
let photo: Buffer;
beforeAll(async () => {
  // Side by side: each of these takes seconds on a busy machine.
  // On PostgreSQL, a database of its own (see `spawnServer`).
  database = process.env.DATABASE_URL ? await migratedPostgres() : null;
  [spawned, bomb, photo] = await Promise.all([
    spawnServer(database?.url ? { DATABASE_URL: database.url } : {}),
    flat(10_000, 10_000).jpeg({ progressive: true }).toBuffer(),
    photoLike(4_000, 3_000).jpeg({ progressive: true, quality: 50 }).toBuffer(),
  ]);
  person = await signUpPerson(spawned.url, 'bomber');
  // Warm up: libvips loads its codecs on first use, and that is no upload's cost.
  await person.client.posts.upload.mutate(uploadForm(await flat(64, 64).jpeg().toBuffer()));
});
afterAll(async () => {
  await spawned?.stop();
  await database?.drop();
});

function flat(width: number, height: number) {
  return sharp({ create: { width, height, channels: 3, background: '#7a8b9c' } });
}

/** A gradient with detail, so its file size is a photo's, not a flat image's. */
function photoLike(width: number, height: number) {
  return sharp({
    create: {
      width,
      height,
      channels: 3,
      background: '#808080',
      noise: { type: 'gaussian', mean: 128, sigma: 40 },
    },
  });
}

async function storedFiles(): Promise<string[]> {
  const mediaDir = join(spawned.dataDir, 'media');
  const entries = await readdir(mediaDir, { recursive: true, withFileTypes: true }).catch(
    (error: unknown) => {
      // No upload has been stored yet.
      if (error instanceof Error && 'code' in error && error.code === 'ENOENT') return [];
      throw error;
    },
  );
  return entries
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath, entry.name));
}

/** The bomber's posts, as anyone can read them (the server's database is its own). */
async function postCount(): Promise<number> {
  const page = await person.client.posts.byUser.query({ userId: person.user.id, limit: 50 });
  return page.items.length;
}

/** A process's resident set, from /proc (Linux). */
async function rssOf(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  return Number(/^VmRSS:\s+(\d+)/m.exec(status)?.[1] ?? Number.NaN) * 1024;
}

/**
 * Runs `work` while sampling the server process's RSS and timing `/healthz` over and
 * over; returns the highest of each.
 */
async function underLoad(base: string, pid: number, work: () => Promise<unknown>) {
  let peakRss = await rssOf(pid);
  let healthChecks = 0;
  let done = false;
  const sampler = (async () => {
    while (!done) {
      peakRss = Math.max(peakRss, await rssOf(pid));
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  })();
  const health = (async () => {
    while (!done) {
      const response = await fetch(`${base}/healthz`);
      await response.arrayBuffer();
      expect(response.status).toBe(200);
      healthChecks += 1;
    }
  })();
  try {
    await work();
  } finally {
    done = true;
    await Promise.all([sampler, health]);
  }
  return { peakRss, healthChecks };
}

test('a 10000×10000 progressive JPEG is refused with a sentence, and leaves no post and no file', async () => {
  const rowsBefore = await postCount();
  const filesBefore = await storedFiles();
  const error = await failure(person.client.posts.upload.mutate(uploadForm(bomb)));
  expect([error.data?.httpStatus, error.message]).toEqual([
    400,
    PostMessages.implausiblePixels(100_000_000, bomb.length),
  ]);
  expect(await postCount()).toBe(rowsBefore);
  expect(await storedFiles()).toEqual(filesBefore);
});

test('a progressive JPEG beyond the decode budget is refused even when its size is plausible', async () => {
  // 6500×6500 at 4:4:4 is 42 MP at ~6.6 bytes a pixel to decode progressively (~320 MB),
  // over the budget, though a baseline JPEG of that size would stream. Bytes after the
  // end-of-image marker make the file as large as a real photo of that size, as a bomb
  // maker could: then only the budget stands in the way.
  const flatBomb = await flat(6_500, 6_500)
    .jpeg({ progressive: true, chromaSubsampling: '4:4:4' })
    .toBuffer();
  const padded = Buffer.concat([flatBomb, Buffer.alloc(2 * MiB)]);
  const maxPixels = Math.floor(DECODE_LIMITS.decodeBytes / (2.2 * 3));
  const error = await failure(person.client.posts.upload.mutate(uploadForm(padded)));
  expect([error.data?.httpStatus, error.message]).toEqual([
    400,
    PostMessages.tooLargeToDecode('progressive JPEG', maxPixels),
  ]);
});

test('8 bombs and 4 real 12 MP progressive photos at once: the server (as `npm start` runs it) stays within 300 MB of its idle RSS and answers /healthz 200 throughout', async () => {
  // 12 uploads in flight is the default total cap; 5 people stay under 3 each.
  const { pid } = spawned.child;
  if (pid === undefined) throw new Error('the server has no process id');
  const people = await Promise.all(
    Array.from({ length: 5 }, (_, i) => signUpPerson(spawned.url, `load${i}`)),
  );
  const uploader = (index: number) => {
    const found = people[index];
    if (!found) throw new Error(`no person ${index}`);
    return found.client.posts.upload;
  };
  await uploader(0).mutate(uploadForm(await flat(64, 64).jpeg().toBuffer()));
  const idleRss = await rssOf(pid);
  const load = await underLoad(spawned.url, pid, () =>
    Promise.all([
      ...Array.from({ length: 8 }, async (_, i) => {
        const error = await failure(uploader(Math.floor(i / 3)).mutate(uploadForm(bomb)));
        expect(error.data?.httpStatus).toBe(400);
      }),
      ...Array.from({ length: 4 }, async (_, i) => {
        const post = await uploader(3 + Math.floor(i / 2)).mutate(uploadForm(photo));
        expect(post.image).toMatchObject({ width: 1080, height: 810 });
      }),
    ]),
  );
  // Healthy all along; how fast it answered is `npm run bench`'s (hostile rows), not a test's.
  expect(load.healthChecks).toBeGreaterThan(0);
  // An upper bound, loosely: the exact figures are `npm run bench`'s (hostile rows).
  expect((load.peakRss - idleRss) / MiB).toBeLessThan(300);
}, 30_000);

test('ordinary photos still upload: baseline and progressive JPEG, PNG, interlaced PNG, WebP', async () => {
  const source = photoLike(1_200, 900);
  const cases: Array<[string, Buffer]> = [
    ['baseline JPEG', await source.clone().jpeg({ quality: 85 }).toBuffer()],
    ['progressive JPEG', await source.clone().jpeg({ quality: 85, progressive: true }).toBuffer()],
    ['PNG', await source.clone().png({ compressionLevel: 1 }).toBuffer()],
    [
      'interlaced PNG',
      await source.clone().png({ progressive: true, compressionLevel: 1 }).toBuffer(),
    ],
    ['WebP', await source.clone().webp().toBuffer()],
    ['lossless WebP', await source.clone().webp({ lossless: true, effort: 0 }).toBuffer()],
  ];
  for (const [name, bytes] of cases) {
    const post = await person.client.posts.upload.mutate(uploadForm(bytes, { caption: name }));
    expect([name, post.image.width, post.image.height]).toEqual([name, 1080, 810]);
    const thumb = await fetch(`${spawned.url}${post.image.thumbUrl}`);
    const meta = await sharp(Buffer.from(await thumb.arrayBuffer())).metadata();
    expect([name, meta.format, meta.width, meta.height]).toEqual([name, 'webp', 320, 240]);
  }
});
