import { mkdtemp, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { DecodePool, type RateLimitOptions } from '@photogram/api';
import type { DatabaseHandle } from '@photogram/db';
import { buildServer, type ServerDeps } from '../server';
import { createUploadGate } from '../upload-gate';
import { testDatabase } from './database';

export interface TestServer {
  url: string;
  /** The local media folder, when the server was given none. */
  mediaDir: string;
  database: DatabaseHandle;
  app: Awaited<ReturnType<typeof buildServer>>;
  /** Stops the server; closes the database too unless it was passed in. */
  close(): Promise<void>;
}

/** Limits high enough that only the rate-limit tests ever reach them. */
export const relaxedRateLimits: RateLimitOptions = {
  signInPerIp: { points: 10_000, duration: 60 },
  signInPerUsernameAndIp: { points: 10_000, duration: 60 },
  signInPerUsername: { points: 10_000, duration: 60 },
  signInUnderAttackPoints: 10_000,
  signUpPerIp: { points: 10_000, duration: 60 },
  uploadPerUser: { points: 10_000, duration: 60 },
  commentPerUser: { points: 10_000, duration: 60 },
  reactPerUser: { points: 10_000, duration: 60 },
};

/**
 * Upload and decode caps high enough that only the cap tests (which pass their own) ever
 * reach them: other tests upload many photos at once on purpose.
 */
export const relaxedUploadCaps = { perClient: 1_000, perAddress: 1_000, total: 1_000 } as const;
const RELAXED_DECODE_QUEUE = 1_000;

/**
 * A real Photogram server listening on a free port of 127.0.0.1, on its own fresh
 * database (`testDatabase()`: PGlite, or PostgreSQL when DATABASE_URL is set) unless one
 * is given.
 */
export async function startTestServer(
  options: { database?: DatabaseHandle; port?: number } & Partial<Omit<ServerDeps, 'db'>> = {},
): Promise<TestServer> {
  const { database: given, port: requestedPort = 0, ...deps } = options;
  const database = given ?? (await testDatabase());
  const mediaDir = await mkdtemp(join(tmpdir(), 'photogram-media-'));
  const app = await buildServer({
    webRoot: null,
    media: mediaDir,
    uploadGate: createUploadGate(relaxedUploadCaps),
    decodes: new DecodePool({ maxQueued: RELAXED_DECODE_QUEUE }),
    ...deps,
    rateLimits: { ...relaxedRateLimits, ...deps.rateLimits },
    db: database.db,
  });
  await app.listen({ port: requestedPort, host: '127.0.0.1' });
  const { port } = app.server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    mediaDir,
    database,
    app,
    async close() {
      await app.close();
      if (!given) await database.close();
      await rm(mediaDir, { recursive: true, force: true });
    },
  };
}

/**
 * A logger for `startTestServer({ logger })` that keeps every line the server writes,
 * for tests that read the log (what it says, and what it must never say).
 */
export function capturedLog(level = 'trace') {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(...chunk.toString().split('\n').filter(Boolean));
      done();
    },
  });
  return { lines, logger: { level, stream } };
}
