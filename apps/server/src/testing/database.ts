import { createHash, randomBytes } from 'node:crypto';
import { cp, mkdir, mkdtemp, readdir, readFile, rename, rm, stat, utimes } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { type DatabaseHandle, openDatabase } from '@photogram/db';
import postgres from 'postgres';
import { vi } from 'vitest';

/*
 * Every test server used to migrate a database of its own: about 3 s on PGlite, a quarter
 * of a second on PostgreSQL. Here the migrations run once into a template, named by a hash
 * of what makes it (the migrations, `@photogram/db`'s own code, and PGlite's version for a
 * PGlite folder), and each test gets a copy: `CREATE DATABASE … TEMPLATE` on PostgreSQL, a
 * copied data folder on PGlite. A template is built under a different name and renamed when complete, so a
 * half-built one is never copied; concurrent vitest workers and concurrent runs (the
 * shared PostgreSQL serves several at once) take turns under an advisory lock, or, for
 * PGlite folders, let the first rename win.
 */

const require = createRequire(import.meta.url);
const dbEntry = require.resolve('@photogram/db');
const packageRoot = join(dirname(dbEntry), '..');
const migrationsFolder = join(packageRoot, 'migrations');

async function filesUnder(folder: string): Promise<string[]> {
  const entries = await readdir(folder, { recursive: true, withFileTypes: true });
  return entries
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath, entry.name))
    .sort();
}

/** The version of the PGlite that `@photogram/db` opens: its data folders are its own format. */
async function pgliteVersion(): Promise<string> {
  let folder = dirname(createRequire(dbEntry).resolve('@electric-sql/pglite'));
  for (;;) {
    const manifest = await readFile(join(folder, 'package.json'), 'utf8').catch(() => null);
    if (manifest !== null) {
      const parsed: unknown = JSON.parse(manifest);
      if (
        typeof parsed === 'object' &&
        parsed !== null &&
        'name' in parsed &&
        parsed.name === '@electric-sql/pglite' &&
        'version' in parsed &&
        typeof parsed.version === 'string'
      ) {
        return parsed.version;
      }
    }
    const parent = dirname(folder);
    if (parent === folder) throw new Error('cannot find the version of @electric-sql/pglite');
    folder = parent;
  }
}

/**
 * 16 hex digits that change whenever a migration does, or the code of `@photogram/db` that
 * opens and migrates a database (its PGlite settings, say), or `extra`.
 */
async function templateHash(extra = ''): Promise<string> {
  const hash = createHash('sha256').update(extra);
  const sources = (await filesUnder(dirname(dbEntry))).filter((file) => !file.includes('.test.'));
  for (const file of [...(await filesUnder(migrationsFolder)), ...sources]) {
    hash
      .update(file.slice(packageRoot.length))
      .update('\0')
      .update(await readFile(file));
  }
  return hash.digest('hex').slice(0, 16);
}

// --- PostgreSQL -----------------------------------------------------------------------

const TEMPLATE_PREFIX = 'photogram_template_';
/** The prefix `@photogram/db/testing` gives its databases too, so one sweep finds both. */
const TEST_PREFIX = 'photogram_test_';
/** Test databases older than this are a crashed run's leftovers. */
const STALE_TEST_MS = 6 * 60 * 60 * 1000;
/** Templates of other code that no run has wanted for this long are swept. */
const STALE_TEMPLATE_MS = 60 * 60 * 1000;

function databaseUrl(serverUrl: string, name: string): string {
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

function adminConnection(serverUrl: string) {
  return postgres(serverUrl, { max: 1, onnotice: () => {} });
}

/**
 * Drops test databases of crashed runs, and templates of other code that no run has
 * wanted for an hour, so that the shared server does not fill up.
 */
async function sweep(admin: postgres.Sql, keep: string) {
  const rows = await admin<Array<{ datname: string; comment: string | null }>>`
    select datname, shobj_description(oid, 'pg_database') as comment from pg_database
    where datname like ${`${TEST_PREFIX}%`} or datname like ${`${TEMPLATE_PREFIX}%`}`;
  const now = Date.now();
  for (const { datname, comment } of rows) {
    if (datname === keep) continue;
    if (datname.startsWith(TEST_PREFIX)) {
      const born = Number.parseInt(datname.slice(TEST_PREFIX.length).split('_')[0] ?? '', 36);
      if (Number.isFinite(born) && now - born > STALE_TEST_MS) {
        await admin.unsafe(`DROP DATABASE IF EXISTS "${datname}" WITH (FORCE)`);
      }
    } else {
      const built = Date.parse(comment ?? '');
      if (Number.isNaN(built) || now - built > STALE_TEMPLATE_MS) {
        await admin.unsafe(`ALTER DATABASE "${datname}" IS_TEMPLATE false`);
        await admin.unsafe(`DROP DATABASE IF EXISTS "${datname}" WITH (FORCE)`);
      }
    }
  }
}

async function buildPostgresTemplate(serverUrl: string): Promise<string> {
  const name = `${TEMPLATE_PREFIX}${await templateHash()}`;
  const admin = adminConnection(serverUrl);
  try {
    // Session-level, on the one connection of `admin`: released when it ends, even on a crash.
    await admin`select pg_advisory_lock(hashtext('photogram test template'))`;
    const [found] = await admin`select 1 from pg_database where datname = ${name}`;
    if (!found) {
      // Only the holder of the lock builds, so one fixed name will do; a crashed build's
      // half-migrated leftover goes first.
      const building = `${name}_building`;
      await admin.unsafe(`DROP DATABASE IF EXISTS "${building}" WITH (FORCE)`);
      await admin.unsafe(`CREATE DATABASE "${building}"`);
      const handle = await openDatabase({
        url: databaseUrl(serverUrl, building),
        maxConnections: 1,
      });
      await handle.close();
      // A closed connection's backend can outlive `close()` by a moment, and a database
      // cannot be renamed (nor cloned) while anyone is connected to it.
      await vi.waitFor(
        async () => {
          await admin`select pg_terminate_backend(pid) from pg_stat_activity where datname = ${building}`;
          await admin.unsafe(`ALTER DATABASE "${building}" RENAME TO "${name}"`);
        },
        { timeout: 10_000, interval: 50 },
      );
      await admin.unsafe(`ALTER DATABASE "${name}" IS_TEMPLATE true`);
    }
    // The comment says when this template was last wanted, for the sweep of other runs.
    await admin.unsafe(`COMMENT ON DATABASE "${name}" IS '${new Date().toISOString()}'`);
    await sweep(admin, name);
    await admin`select pg_advisory_unlock(hashtext('photogram test template'))`;
    return name;
  } finally {
    await admin.end({ timeout: 5 });
  }
}

const postgresTemplates = new Map<string, Promise<string>>();

/** The migrated template on the server of `serverUrl`, built by the first caller. */
function postgresTemplate(serverUrl: string): Promise<string> {
  let template = postgresTemplates.get(serverUrl);
  if (!template) {
    template = buildPostgresTemplate(serverUrl);
    // A failed build is not remembered: the next test tries again and shows its own error.
    template.catch(() => postgresTemplates.delete(serverUrl));
    postgresTemplates.set(serverUrl, template);
  }
  return template;
}

/** A migrated PostgreSQL database of one test's own: see `migratedPostgres`. */
export interface PostgresTestDatabase {
  url: string;
  name: string;
  /** Drops the database, whoever is still connected to it. */
  drop(): Promise<void>;
}

/**
 * A new database on the server of `serverUrl` (`DATABASE_URL` by default), copied from
 * the migrated template: for a server process given its URL (`spawnServer`), or for
 * `testDatabase()` to open.
 */
export async function migratedPostgres(
  serverUrl: string | undefined = process.env.DATABASE_URL,
): Promise<PostgresTestDatabase> {
  if (!serverUrl) throw new Error('migratedPostgres needs a PostgreSQL URL (DATABASE_URL)');
  const template = await postgresTemplate(serverUrl);
  // The creation time in the name is what the sweep reads when a run leaves it behind.
  const name = `${TEST_PREFIX}${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`;
  // A connection for each statement, not one held for the test's length: the shared
  // server's connection slots are few, and many runs use them at once.
  const once = async (statement: string) => {
    const admin = adminConnection(serverUrl);
    try {
      await admin.unsafe(statement);
    } finally {
      await admin.end({ timeout: 5 });
    }
  };
  await once(`CREATE DATABASE "${name}" TEMPLATE "${template}"`);
  return {
    url: databaseUrl(serverUrl, name),
    name,
    drop: () => once(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`),
  };
}

// --- PGlite ---------------------------------------------------------------------------

let pgliteTemplate: Promise<string> | undefined;

/** The migrated template folder, built by the first caller of this process (or of any). */
function pgliteTemplateFolder(): Promise<string> {
  if (!pgliteTemplate) {
    pgliteTemplate = buildPgliteTemplate();
    pgliteTemplate.catch(() => {
      pgliteTemplate = undefined;
    });
  }
  return pgliteTemplate;
}

const PGLITE_TEMPLATE_PREFIX = 'photogram-pglite-template-';

/** Removes template folders (and crashed builds) of other code nobody has built for an hour. */
async function sweepPgliteTemplates(keep: string) {
  const now = Date.now();
  for (const name of await readdir(tmpdir())) {
    const folder = join(tmpdir(), name);
    if (!name.startsWith(PGLITE_TEMPLATE_PREFIX) || folder === keep) continue;
    const { mtimeMs } = await stat(folder).catch(() => ({ mtimeMs: now }));
    if (now - mtimeMs > STALE_TEMPLATE_MS) await rm(folder, { recursive: true, force: true });
  }
}

async function buildPgliteTemplate(): Promise<string> {
  const hash = await templateHash(await pgliteVersion());
  const folder = join(tmpdir(), `${PGLITE_TEMPLATE_PREFIX}${hash}`);
  const now = new Date();
  // Touched when used, so that the sweep of other runs leaves it while it is wanted.
  const found = await utimes(folder, now, now).then(
    () => true,
    () => false,
  );
  if (found) return folder;
  await sweepPgliteTemplates(folder);
  const building = await mkdtemp(`${folder}-building-`);
  const handle = await openDatabase({ dataDir: building });
  await handle.close();
  // rename(2) of a folder onto an existing non-empty one fails: whoever renamed first won,
  // and every copy is made from a complete template.
  await rename(building, folder).catch(async (error: unknown) => {
    await rm(building, { recursive: true, force: true });
    if (!(await stat(folder).catch(() => null))) throw error;
  });
  return folder;
}

/**
 * A migrated PGlite data folder of the caller's own at `folder` (made if missing): a copy of
 * the template, opened in about a second where migrating takes three.
 */
export async function copyMigratedPglite(folder: string): Promise<void> {
  const template = await pgliteTemplateFolder();
  await mkdir(dirname(folder), { recursive: true });
  await cp(template, folder, { recursive: true });
}

// --- Either ---------------------------------------------------------------------------

export type TestDatabase = DatabaseHandle & {
  /** The PostgreSQL URL, for a child process to share the database; undefined on PGlite. */
  url: string | undefined;
};

/**
 * A fresh, migrated database for one test (or test file): a copy of the template on the
 * PostgreSQL of `DATABASE_URL` when it is set, a PGlite folder copied from the template
 * otherwise. `close()` drops or removes it.
 */
export async function testDatabase(
  serverUrl: string | undefined = process.env.DATABASE_URL,
): Promise<TestDatabase> {
  if (serverUrl) {
    const copy = await migratedPostgres(serverUrl);
    // openDatabase still runs the migrator: on a copy it finds nothing left to do.
    const handle = await openDatabase({ url: copy.url }).catch(async (error: unknown) => {
      await copy.drop();
      throw error;
    });
    return {
      ...handle,
      url: copy.url,
      async close() {
        await handle.close();
        await copy.drop();
      },
    };
  }
  const folder = await mkdtemp(join(tmpdir(), 'photogram-pglite-'));
  await copyMigratedPglite(join(folder, 'data'));
  const handle = await openDatabase({ dataDir: join(folder, 'data') }).catch(
    async (error: unknown) => {
      await rm(folder, { recursive: true, force: true });
      throw error;
    },
  );
  return {
    ...handle,
    url: undefined,
    async close() {
      await handle.close();
      await rm(folder, { recursive: true, force: true });
    },
  };
}
