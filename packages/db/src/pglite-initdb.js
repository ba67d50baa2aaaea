// Run by openPgliteDatabase (pglite.ts) as a process of its own, in plain Node: it makes
// a new PGlite data folder and exits, and the memory initdb took goes with the process.
// Arguments: the (empty) folder, and the PGlite options as JSON.
import { PGlite } from '@electric-sql/pglite';

const [dataDir, options] = process.argv.slice(2);
const client = await PGlite.create(dataDir, JSON.parse(options ?? '{}'));
await client.close();
