import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { posts } from '@photogram/db';
import postgres from 'postgres';
import { afterAll, beforeAll, expect, test, vi } from 'vitest';
import { createTestClient, uniqueUsername } from './testing/client';
import { type TestDatabase, testDatabase } from './testing/database';
import { solidImage, uploadForm } from './testing/images';
import { type SpawnedServer, spawnServer } from './testing/process';

// kill -9 between writing an upload's files and its commit: the files are orphans, and
// the next start sweeps them. Holding the upload mid-transaction takes a second
// connection, which PGlite cannot give: PostgreSQL only.
const enabled = Boolean(process.env.DATABASE_URL);

let database: TestDatabase;
let admin: postgres.Sql;
let dataDir: string;
let server: SpawnedServer | undefined;
beforeAll(async () => {
  if (!enabled) return;
  database = await testDatabase();
  admin = postgres(database.url ?? '', { max: 2, onnotice: () => {} });
  dataDir = await mkdtemp(join(tmpdir(), 'photogram-sweep-'));
});
afterAll(async () => {
  if (!enabled) return;
  await server?.stop();
  await admin?.end({ timeout: 1 });
  await database?.close();
  await rm(dataDir, { recursive: true, force: true });
});

async function mediaFiles(): Promise<string[]> {
  const entries = await readdir(join(dataDir, 'media'), { recursive: true, withFileTypes: true });
  return entries
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath, entry.name).slice(dataDir.length + '/media/'.length))
    .sort();
}

test.skipIf(!enabled)(
  'files of an upload killed (kill -9) before its commit are swept when the server starts again; files in use stay',
  async () => {
    const env = { DATABASE_URL: database.url ?? '' };
    server = await spawnServer(env, { dataDir });
    const author = createTestClient(server.url);
    await author.client.auth.signUp.mutate({
      username: uniqueUsername('killed'),
      password: 'password123',
    });
    const fan = createTestClient(server.url);
    const { user: fanUser } = await fan.client.auth.signUp.mutate({
      username: uniqueUsername('killedfan'),
      password: 'password123',
    });
    const me = await author.client.auth.me.query();
    await fan.client.follows.follow.mutate({ userId: me?.id ?? '' });
    const kept = await author.client.posts.upload.mutate(
      uploadForm(await solidImage(640, 400, 'png', '#123456'), { caption: 'committed' }),
    );
    // A display variant and a thumbnail.
    const inUse = await mediaFiles();
    expect(inUse).toHaveLength(2);

    // The next upload stops inside its transaction, files written, waiting on the fan's head.
    const held = await admin.reserve();
    await held`begin`;
    await held`select seq from notification_heads where recipient_id = ${fanUser.id} for update`;
    const doomed = author.client.posts.upload
      .mutate(uploadForm(await solidImage(640, 400, 'png', '#654321'), { caption: 'doomed' }))
      .catch((error: unknown) => error);
    await vi.waitFor(
      async () => {
        const rows = await admin`
          select 1 from pg_stat_activity
          where wait_event_type = 'Lock' and query ilike '%notification_heads%'`;
        expect(rows).toHaveLength(1);
      },
      { timeout: 10_000 },
    );
    expect(await mediaFiles()).toHaveLength(4);

    server.signal('SIGKILL');
    await server.exited;
    await held`commit`;
    held.release();
    await doomed;
    const captions = await database.db.select({ caption: posts.caption }).from(posts);
    expect(captions.map((row) => row.caption)).toEqual(['committed']);
    // The killed process left its files behind.
    expect(await mediaFiles()).toHaveLength(4);

    server = await spawnServer(env, { dataDir, port: server.port });
    await vi.waitFor(async () => expect(await mediaFiles()).toEqual(inUse), { timeout: 15_000 });
    expect((await fetch(`${server.url}${kept.image.url}`)).status).toBe(200);
    expect((await fetch(`${server.url}${kept.image.thumbUrl}`)).status).toBe(200);
  },
  60_000,
);
