import { channel } from 'node:diagnostics_channel';
import { fileURLToPath } from 'node:url';
import type { ExtractTablesWithRelations, SQL } from 'drizzle-orm';
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import { drizzle as drizzlePostgres } from 'drizzle-orm/postgres-js';
import { migrate as migratePostgres } from 'drizzle-orm/postgres-js/migrator';
import postgres from 'postgres';
import { type Listener, type ListenOptions, listenPostgres } from './listener';
import { guardTransactions } from './postgres-transactions';
import * as schema from './schema';

export type { Listener, ListenOptions } from './listener';
export * from './schema';
export { schema };

type Schema = typeof schema;

/** The drizzle handle every service takes, whichever engine is behind it. */
export type Database = PgDatabase<PgQueryResultHKT, Schema, ExtractTablesWithRelations<Schema>>;
/** What `db.transaction(async (tx) => …)` hands its callback. */
export type Transaction = Parameters<Parameters<Database['transaction']>[0]>[0];

export interface OpenDatabaseOptions {
  /** A PostgreSQL URL. Without one, Photogram runs on embedded PGlite. */
  url?: string;
  /** Where PGlite keeps its files; without it (and without `url`) the database lives in memory. */
  dataDir?: string;
  /** Connection pool size for PostgreSQL. */
  maxConnections?: number;
}

export interface DatabaseHandle {
  db: Database;
  kind: 'postgres' | 'pglite';
  /**
   * LISTENs on the channels (on a supervised connection of its own for PostgreSQL, which
   * comes back by itself after it is lost); resolves once listening.
   */
  listen(options: ListenOptions): Promise<Listener>;
  /** NOTIFY `channel`; listeners in every process connected to the database receive `payload`. */
  notify(channel: string, payload: string): Promise<void>;
  /** Closes every connection; the handle is unusable afterwards. */
  close(): Promise<void>;
}

/**
 * Seconds before a pool connection tries again after failing to connect. postgres.js's
 * default grows as 3^n / 100 s with failures counted across the pool, up to 20 s: after a
 * 10 s outage a pool could wait another 20 s before it looked again, every request and
 * `/healthz` hanging meanwhile. Doubling from 0.1 s up to 2 s finds the database back
 * within about two seconds of its return.
 */
export function reconnectBackoffSeconds(failures: number): number {
  return (0.5 + Math.random() / 2) * Math.min(0.1 * 2 ** failures, 2);
}

const migrationsFolder = fileURLToPath(new URL('../migrations', import.meta.url));

/**
 * Applies the migrations holding a session-level advisory lock, on a connection of its
 * own, so that instances starting together on an empty database take turns: the first
 * migrates and the others find nothing left to do. (Unlocked, they raced in
 * `CREATE TABLE` and one failed on a duplicate key in `pg_type`.) If the process dies,
 * the lock goes with its session.
 */
async function migrateWithLock(url: string) {
  let lost = false;
  const sql = postgres(url, {
    max: 1,
    onnotice: () => {},
    connection: { application_name: 'photogram-migrate' },
    onclose: () => {
      lost = true;
    },
  });
  try {
    await sql`select pg_advisory_lock(hashtext('photogram migrations'))`;
    await migratePostgres(drizzlePostgres(guardTransactions(sql)), { migrationsFolder });
    // postgres.js reconnects by itself, and a new session does not hold the lock.
    if (lost) throw new Error('The connection holding the migration lock was lost; start again.');
    await sql`select pg_advisory_unlock(hashtext('photogram migrations'))`;
  } finally {
    await sql.end({ timeout: 5 });
  }
}

/**
 * The `node:diagnostics_channel` on which every statement a handle sends through drizzle
 * is published as `{ query }` (BEGIN and COMMIT are the drivers' own and are not), so a
 * measurement can count database round trips without the process that opened the
 * database passing anything. Nothing is built or sent while nobody subscribes.
 */
export const QUERY_CHANNEL = 'photogram:db:query';
const queryChannel = channel(QUERY_CHANNEL);
const queryLogger = {
  logQuery(query: string) {
    if (queryChannel.hasSubscribers) queryChannel.publish({ query });
  },
};

/**
 * Opens PostgreSQL (through postgres.js) when `url` is given, embedded PGlite otherwise,
 * and applies the committed migrations before returning.
 */
export async function openDatabase(options: OpenDatabaseOptions = {}): Promise<DatabaseHandle> {
  if (options.url) {
    const url = options.url;
    await migrateWithLock(url);
    const sql = postgres(url, {
      max: options.maxConnections ?? 10,
      onnotice: () => {},
      backoff: reconnectBackoffSeconds,
      // No JIT compilation: every statement here is short, and PostgreSQL's cost estimates
      // put some over `jit_above_cost` (an inbox page's per-group reads, estimated from
      // the average group), where compiling took 20 to 300 ms of a 2 ms statement.
      connection: { jit: 'off' },
    });
    const db = drizzlePostgres(guardTransactions(sql), { schema, logger: queryLogger });
    return {
      db,
      kind: 'postgres',
      listen: (listenOptions) => listenPostgres(url, listenOptions),
      async notify(channel, payload) {
        await sql.notify(channel, payload);
      },
      close: () => sql.end({ timeout: 5 }),
    };
  }

  // Imported here, not above: a server on PostgreSQL never loads PGlite (see pglite.ts).
  const { openPgliteDatabase } = await import('./pglite');
  return openPgliteDatabase(options.dataDir, migrationsFolder, queryLogger);
}

/** The SQLSTATE of a database error, looking through drizzle's wrapper. */
export function sqlState(error: unknown): string | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 4 && current; depth++) {
    if (typeof current === 'object' && 'code' in current && typeof current.code === 'string') {
      return current.code;
    }
    current = typeof current === 'object' && 'cause' in current ? current.cause : undefined;
  }
  return undefined;
}

export const UNIQUE_VIOLATION = '23505';
export const FOREIGN_KEY_VIOLATION = '23503';

/**
 * Runs raw SQL and returns its rows as plain records, whichever driver is behind `db`
 * (postgres.js returns an array, PGlite an object with `rows`).
 */
export async function queryRows(
  db: Pick<Database, 'execute'>,
  query: SQL,
): Promise<Array<Record<string, unknown>>> {
  const result: unknown = await db.execute(query);
  const rows = Array.isArray(result)
    ? result
    : typeof result === 'object' &&
        result !== null &&
        'rows' in result &&
        Array.isArray(result.rows)
      ? result.rows
      : [];
  return rows.filter(
    (row): row is Record<string, unknown> => typeof row === 'object' && row !== null,
  );
}
