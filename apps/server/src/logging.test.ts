import { expect, test } from 'vitest';
import { migratedPostgres } from './testing/database';
import { exitWithin, type SpawnedServer, spawnServer } from './testing/process';

/** main.ts's hard deadline, plus room for a loaded machine to deliver the exit. */
const EXIT_WITHIN_MS = 15_000 + 5_000;

async function withLoggingServer(run: (server: SpawnedServer) => Promise<void>) {
  const database = process.env.DATABASE_URL ? await migratedPostgres() : null;
  // `info` logs two lines per request: plenty to fill a pipe.
  const server = await spawnServer(
    { LOG_LEVEL: 'info', ...(database?.url ? { DATABASE_URL: database.url } : {}) },
    { stdout: 'pipe' },
  );
  try {
    await run(server);
  } finally {
    if (server.alive) server.signal('SIGKILL');
    await server.stop();
    await database?.drop();
  }
}

/** Enough requests, at two log lines each, to fill any pipe buffer several times over. */
async function requestMany(server: SpawnedServer) {
  for (let i = 0; i < 1_000; i++) {
    const response = await fetch(`${server.url}/livez`);
    expect(response.status).toBe(200);
  }
}

test('a server whose stdout reader has gone keeps serving and exits 0 soon after SIGTERM', async () => {
  await withLoggingServer(async (server) => {
    // The log shipper died: the read end of the server's stdout is closed (EPIPE).
    server.stdout?.destroy();
    await requestMany(server);
    server.signal('SIGTERM');
    expect(await exitWithin(server, EXIT_WITHIN_MS)).toEqual({ code: 0, signal: null });
  });
}, 120_000);

test('a server whose stdout nobody reads keeps serving and exits 0 soon after SIGTERM', async () => {
  await withLoggingServer(async (server) => {
    // The reader is stuck (or died while another process holds the pipe open): the pipe
    // fills up and every write would block (EAGAIN).
    server.stdout?.pause();
    await requestMany(server);
    server.signal('SIGTERM');
    expect(await exitWithin(server, EXIT_WITHIN_MS)).toEqual({ code: 0, signal: null });
  });
}, 120_000);
