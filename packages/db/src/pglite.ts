import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, rename, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { setFlagsFromString } from 'node:v8';
import { PGlite, type PGliteOptions } from '@electric-sql/pglite';
import type { Logger } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/pglite';
import { migrate } from 'drizzle-orm/pglite/migrator';
import type { DatabaseHandle } from './index';
import { listenPglite } from './listener';
import * as schema from './schema';

/*
 * Everything of embedded PGlite lives here and is imported only when a server runs on it:
 * loaded through tsx, PGlite's minified JavaScript alone costs about 40 MiB of RSS, which
 * a server on PostgreSQL has no use for.
 *
 * What an idle PGlite server held (about 900 MiB, measured with PGlite 0.5.16 on Node 20),
 * and why each choice below:
 * - PostgreSQL's shared memory lives in the WASM heap, and all of it is touched at start:
 *   initdb's `shared_buffers = 128MB` came to about 150 MiB of RSS. One backend serving a
 *   few people needs far less; 16 MB still holds the pages the bench's million-post feed
 *   reads over and over.
 * - V8 compiles hot WASM functions again with TurboFan on its worker threads, and glibc
 *   keeps what those jobs freed in per-thread arenas: about 60 MiB that nothing reused.
 *   Liftoff, V8's baseline compiler, works on the calling thread; the feed was no slower.
 * - PGlite makes a new data folder by running initdb against a second PostgreSQL instance,
 *   copying that instance's whole heap before each run, and untarring the result into the
 *   folder: about 700 MiB at peak, and some 100 MiB that glibc kept afterwards. A process
 *   of its own does that now, and the server opens the finished folder.
 */
const SETTINGS = ['shared_buffers=16MB'];

/** PGlite's own start parameters (it has no way to add to them) and ours. */
const options: PGliteOptions = {
  startParams: [...PGlite.defaultStartParams, ...SETTINGS.flatMap((setting) => ['-c', setting])],
  // Written into postgresql.conf by initdb, so the folder says what it runs with; its
  // bootstrap runs with them too, which lowers initdb's peak.
  initDbStartParams: SETTINGS.flatMap((setting) => ['--set', setting]),
};

/**
 * Liftoff only. V8 derives `--no-wasm-dynamic-tiering` from `--liftoff-only` when it
 * parses its flags at start-up, not when one is set later: set alone here, Node 24 still
 * tiered up, to an idle 190 to 500 MiB and 700 MiB at peak for PGlite alone (144 MiB with
 * all three).
 */
const WASM_COMPILER_FLAGS = ['--liftoff-only', '--no-wasm-tier-up', '--no-wasm-dynamic-tiering'];
const initdbScript = fileURLToPath(new URL('./pglite-initdb.js', import.meta.url));
const run = promisify(execFile);

/**
 * Makes a new data folder at `dataDir` in a process of its own (see above), atomically: it
 * is built beside the folder and renamed into place, so a start killed halfway leaves no
 * half-made database that a later start would take for one.
 */
async function initialize(dataDir: string): Promise<void> {
  const present = await readdir(dataDir).catch(() => []);
  if (present.length > 0) {
    throw new Error(
      `${dataDir} has files but no PostgreSQL database (no PG_VERSION); move it away or empty it`,
    );
  }
  await mkdir(dirname(dataDir), { recursive: true });
  const building = await mkdtemp(`${dataDir}.initdb-`);
  try {
    await run(process.execPath, [
      ...WASM_COMPILER_FLAGS,
      initdbScript,
      building,
      JSON.stringify(options),
    ]).catch((error: unknown) => {
      const stderr =
        typeof error === 'object' && error !== null && 'stderr' in error
          ? String(error.stderr)
          : '';
      throw new Error(`Creating the PGlite database in ${dataDir} failed: ${stderr.trim()}`, {
        cause: error,
      });
    });
    // rename(2) replaces an empty folder (mkdtemp's, say) and refuses one with files in it.
    await rename(building, dataDir);
  } finally {
    await rm(building, { recursive: true, force: true });
  }
}

/**
 * Embedded PGlite, migrated: in `dataDir`, or in memory without one (tests), where initdb
 * writes straight into PGlite's in-memory file system and needs no process of its own.
 */
export async function openPgliteDatabase(
  dataDir: string | undefined,
  migrationsFolder: string,
  logger: Logger,
): Promise<DatabaseHandle> {
  // Read by V8 each time it compiles WASM, process-wide: the little else there is (undici's
  // HTTP parser, tsx's lexer) is small and does not mind.
  setFlagsFromString(WASM_COMPILER_FLAGS.join(' '));
  // PGlite has no inter-process lock: one process per data folder.
  if (dataDir && !existsSync(join(dataDir, 'PG_VERSION'))) await initialize(dataDir);
  const client = new PGlite(dataDir, options);
  const db = drizzle(client, { schema, logger });
  try {
    await migrate(db, { migrationsFolder });
  } catch (error: unknown) {
    await client.close();
    throw error;
  }
  return {
    db,
    kind: 'pglite',
    listen: (listenOptions) => listenPglite(client, listenOptions),
    async notify(channel, payload) {
      await client.query('select pg_notify($1, $2)', [channel, payload]);
    },
    close: () => client.close(),
  };
}
