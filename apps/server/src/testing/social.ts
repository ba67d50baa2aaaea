import { comments, likes, posts } from '@photogram/db';
import { count, eq } from 'drizzle-orm';
import { afterAll, beforeAll } from 'vitest';
import type { Person } from './client';
import { solidImage, uploadForm } from './images';
import { startTestServer, type TestServer } from './server';

/** What the database holds for a post: its like and comment rows, and its two counters. */
export interface StoredPost {
  likes: number;
  comments: number;
  /** null once the post row is gone. */
  likeCount: number | null;
  commentCount: number | null;
}

/**
 * The server a test file of likes, comments, alt text or the bell runs against: call it
 * once at the top of the file; it starts the server (and makes the photo people upload)
 * before the file's tests and closes it after them. `url` and `server` are there inside
 * a test, not at the top of the file.
 */
export function socialServer() {
  let started: { server: TestServer; photo: Buffer } | undefined;
  beforeAll(async () => {
    const server = await startTestServer({ logger: { level: 'error' } });
    started = { server, photo: await solidImage(48, 32) };
  });
  afterAll(async () => {
    await started?.server.close();
  });

  function current() {
    if (!started) throw new Error('socialServer() is used outside a test of its file');
    return started;
  }

  return {
    get server(): TestServer {
      return current().server;
    },
    get url(): string {
      return current().server.url;
    },

    /** Uploads the file's photo as `person`: a caption of 'a photo' and no alt text unless given. */
    upload(person: Person, fields: { caption?: string; altText?: string } = {}) {
      const form = uploadForm(current().photo, { caption: fields.caption ?? 'a photo' });
      if (fields.altText !== undefined) form.set('altText', fields.altText);
      return person.client.posts.upload.mutate(form);
    },

    /** Read straight from the database, beside what the API says. */
    async stored(postId: string): Promise<StoredPost> {
      const { db } = current().server.database;
      const id = Number(postId);
      const [likeRows] = await db.select({ n: count() }).from(likes).where(eq(likes.postId, id));
      const [commentRows] = await db
        .select({ n: count() })
        .from(comments)
        .where(eq(comments.postId, id));
      const [post] = await db
        .select({ likeCount: posts.likeCount, commentCount: posts.commentCount })
        .from(posts)
        .where(eq(posts.id, id));
      return {
        likes: likeRows?.n ?? 0,
        comments: commentRows?.n ?? 0,
        likeCount: post?.likeCount ?? null,
        commentCount: post?.commentCount ?? null,
      };
    },
  };
}
