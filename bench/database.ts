import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Database, type DatabaseHandle, openDatabase } from '@photogram/db';
import { sql } from 'drizzle-orm';
import postgres from 'postgres';

/** The database one server of the bench runs on, and the folder for its other data. */
export interface BenchDatabase {
  /** DATA_DIR for the server: PGlite's files (`pglite/`) and the media. */
  dataDir: string;
  /** DATABASE_URL for the server; undefined on PGlite. */
  url: string | undefined;
  kind: 'pglite' | 'postgres';
  /** Opens (and migrates) it from the bench, to seed; close it before the server starts. */
  open(): Promise<DatabaseHandle>;
  /** Deletes the folder and, on PostgreSQL, drops the database. */
  remove(): Promise<void>;
}

const runId = Date.now().toString(36);

/**
 * A fresh database: a new `photogram_bench_<run>_<label>` on the server of `adminUrl`
 * (the caller's DATABASE_URL), or embedded PGlite in a temporary folder. PGlite allows one
 * process per folder, so the bench seeds, closes, then starts the server.
 */
export async function createBenchDatabase(
  label: string,
  adminUrl: string | undefined,
): Promise<BenchDatabase> {
  const dataDir = await mkdtemp(join(tmpdir(), `photogram-bench-${label}-`));
  if (!adminUrl) {
    return {
      dataDir,
      url: undefined,
      kind: 'pglite',
      open: () => openDatabase({ dataDir: join(dataDir, 'pglite') }),
      remove: () => rm(dataDir, { recursive: true, force: true }),
    };
  }
  const name = `photogram_bench_${runId}_${label.replace(/[^a-z0-9_]/gi, '_')}`.toLowerCase();
  const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
  await admin.unsafe(`CREATE DATABASE "${name}"`);
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    dataDir,
    url: url.toString(),
    kind: 'postgres',
    open: () => openDatabase({ url: url.toString(), maxConnections: 2 }),
    async remove() {
      await admin.unsafe(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      await admin.end({ timeout: 5 });
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** A seeded user: its id and the session cookie value it is signed in with. */
export function seededUser(prefix: string, index: number) {
  return { id: `${prefix}${index}`, session: `${prefix}${index}_session` };
}

/**
 * Users `<prefix>1` … `<prefix><count>`, each with a lucia session valid for 30 days
 * (so validating it never slides the expiry and writes), stored as the server stores
 * them: the SHA-256 of the cookie value (`hashSessionId`). Written directly: signing up
 * 10,000 people through the API would mostly measure argon2id. The password hash is not
 * a hash; nobody signs in with a password here.
 */
export async function seedUsers(db: Database, prefix: string, count: number) {
  await db.execute(sql`
    insert into users (id, username, display_name, password_hash)
    select ${prefix}::text || i, ${prefix}::text || i, 'Bench user ' || i, 'not-a-hash'
    from generate_series(1, ${count}::int) as i`);
  await db.execute(sql`
    insert into sessions (id, user_id, expires_at)
    select encode(sha256(convert_to(${prefix}::text || i || '_session', 'UTF8')), 'hex'),
      ${prefix}::text || i, now() + interval '30 days'
    from generate_series(1, ${count}::int) as i`);
}

/** `<followerPrefix>1` … `<followerPrefix><count>` all follow `followeeId`. */
export async function seedFollowers(
  db: Database,
  followerPrefix: string,
  count: number,
  followeeId: string,
) {
  await db.execute(sql`
    insert into follows (follower_id, followee_id)
    select ${followerPrefix}::text || i, ${followeeId}::text
    from generate_series(1, ${count}::int) as i`);
}

/** `followerId` follows `<followeePrefix><from>` … `<followeePrefix><to>`. */
export async function seedFollowing(
  db: Database,
  followerId: string,
  followeePrefix: string,
  from: number,
  to: number,
) {
  await db.execute(sql`
    insert into follows (follower_id, followee_id)
    select ${followerId}::text, ${followeePrefix}::text || i
    from generate_series(${from}::int, ${to}::int) as i`);
}

/**
 * `count` posts spread round-robin over `<authorPrefix>1` … `<authorPrefix><authors>`,
 * one second apart up to now, in batches so neither engine holds one huge statement.
 * The media keys are fake (the feed only turns them into URLs); a hundred distinct ones
 * keep the key indexes about as small as shared, content-addressed files would.
 */
export async function seedPosts(
  db: Database,
  authorPrefix: string,
  authors: number,
  count: number,
  onProgress?: (done: number) => void,
) {
  const batch = 100_000;
  for (let start = 1; start <= count; start += batch) {
    const end = Math.min(count, start + batch - 1);
    await db.execute(sql`
      insert into posts (author_id, caption, image_key, thumb_key, width, height, created_at)
      select ${authorPrefix}::text || (1 + i % ${authors}::int),
             'Bench post ' || i,
             lpad((i % 100)::text, 2, '0') || '/' || md5((i % 100)::text) || md5('d' || (i % 100)) || '.webp',
             lpad((i % 100)::text, 2, '0') || '/' || md5((i % 100)::text) || md5('t' || (i % 100)) || '.webp',
             1080, 810,
             now() - make_interval(secs => ${count}::int - i)
      from generate_series(${start}::int, ${end}::int) as i`);
    onProgress?.(end);
  }
  await db.execute(sql`analyze`);
}
