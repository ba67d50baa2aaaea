import { expect, test } from 'vitest';
import { createTestClient, uniqueUsername } from './testing/client';
import { migratedPostgres } from './testing/database';
import { solidImage, uploadForm } from './testing/images';
import { spawnServer } from './testing/process';
import { watchUploads } from './testing/subscriber';

// Two processes can only share a PostgreSQL server; PGlite is one process per folder.
test.skipIf(!process.env.DATABASE_URL)(
  'with BUS=postgres, a subscriber on one server hears of an upload made on another',
  async () => {
    const database = await migratedPostgres();
    const env = { DATABASE_URL: database.url, BUS: 'postgres' };
    const [one, two] = await Promise.all([spawnServer(env), spawnServer(env)]);
    try {
      const author = createTestClient(one.url);
      const { user: alice } = await author.client.auth.signUp.mutate({
        username: uniqueUsername('multi'),
        password: 'password123',
      });
      const reader = createTestClient(two.url);
      await reader.client.auth.signUp.mutate({
        username: uniqueUsername('other'),
        password: 'password123',
      });
      await reader.client.follows.follow.mutate({ userId: alice.id });
      const watch = watchUploads(reader.client);
      await watch.started();

      const post = await author.client.posts.upload.mutate(
        uploadForm(await solidImage(40, 30), { caption: 'from server one' }),
      );
      const notification = await watch.forPost(post.id);
      expect(notification).toMatchObject({
        actor: { id: alice.id },
        post: { caption: 'from server one' },
      });
      watch.stop();
    } finally {
      await Promise.all([one.stop(), two.stop()]);
      await database.drop();
    }
  },
  60_000,
);
