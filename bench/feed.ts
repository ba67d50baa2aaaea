import { signedInClient } from './api-client';
import { startPhotogram } from './children';
import { createBenchDatabase, seededUser, seedFollowing, seedPosts, seedUsers } from './database';
import { type Summary, summarize } from './stats';

export interface FeedRun {
  transport: string | null;
  users: number;
  posts: number;
  following: number;
  seedSeconds: number;
  /** Milliseconds per `feed.list` call, request to response. */
  latency: Summary;
  perSecond: number;
  /** Items on the first page (should be the limit). */
  pageSize: number;
}

export interface FeedOptions {
  databaseUrl: string | undefined;
  users: number;
  posts: number;
  following: number;
  calls: number;
  log(message: string): void;
}

const LIMIT = 20;

/** The first page of the feed, over and over, for a user who follows `following` people. */
export async function runFeed(options: FeedOptions): Promise<FeedRun> {
  const viewer = seededUser('feed', 1);
  const database = await createBenchDatabase('feed', options.databaseUrl);
  try {
    const seedingStarted = performance.now();
    const seeding = await database.open();
    try {
      await seedUsers(seeding.db, 'feed', options.users);
      await seedFollowing(seeding.db, viewer.id, 'feed', 2, options.following + 1);
      await seedPosts(seeding.db, 'feed', options.users, options.posts, (done) =>
        options.log(`  ${done.toLocaleString('en-US')} posts`),
      );
    } finally {
      await seeding.close();
    }
    const seedSeconds = (performance.now() - seedingStarted) / 1000;
    options.log(`  seeded in ${seedSeconds.toFixed(0)} s`);

    const server = await startPhotogram(database);
    try {
      const client = signedInClient(server.url, viewer.session);
      let pageSize = 0;
      // Warm-up: first calls compile the query path and fill the database's caches.
      for (let i = 0; i < 10; i++) {
        pageSize = (await client.feed.list.query({ limit: LIMIT })).items.length;
      }
      const latencies: number[] = [];
      const started = performance.now();
      for (let i = 0; i < options.calls; i++) {
        const callStarted = performance.now();
        await client.feed.list.query({ limit: LIMIT });
        latencies.push(performance.now() - callStarted);
      }
      const seconds = (performance.now() - started) / 1000;
      return {
        transport: server.ready.transport,
        users: options.users,
        posts: options.posts,
        following: options.following,
        seedSeconds,
        latency: summarize(latencies),
        perSecond: latencies.length / seconds,
        pageSize,
      };
    } finally {
      await server.stop();
    }
  } finally {
    await database.remove();
  }
}
