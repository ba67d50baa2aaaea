import { type Database, posts, type Transaction, users } from '@photogram/db';
import { inArray, or, sql } from 'drizzle-orm';
import type { MediaStorage } from '../media/storage';

/**
 * Media files are content-addressed, so posts (and profile photos) with identical bytes
 * share them. Whoever touches a key takes a transaction-scoped advisory lock on it: an
 * upload holds it shared while it makes sure the files exist and records its row;
 * removing a file holds it exclusively and first checks that no post and no person uses
 * the key. So a removal never deletes a
 * file a committed or committing post uses, and an upload that comes after a removal
 * writes the file again. Keys are locked in sorted order, so lockers cannot deadlock.
 */
export async function lockMediaKeys(
  tx: Transaction,
  keys: readonly string[],
  mode: 'shared' | 'exclusive',
) {
  const sorted = JSON.stringify([...new Set(keys)].sort());
  const lock = mode === 'shared' ? sql`pg_advisory_xact_lock_shared` : sql`pg_advisory_xact_lock`;
  // One statement for any number of keys (the sweeper locks hundreds), taken in the
  // array's order: rows of a function scan come in order, and a volatile call in the
  // select list is evaluated after the sort.
  await tx.execute(
    sql`select ${lock}(hashtextextended(key, 0))
        from jsonb_array_elements_text(${sorted}::jsonb) with ordinality as keys(key, n)
        order by n`,
  );
}

/**
 * Removes the files of these keys that no post and no profile photo uses. Safe at any
 * moment, for any keys: after a failed upload, after a delete, or from the sweeper.
 */
export async function releaseMedia(
  deps: { db: Database; media: MediaStorage },
  keys: readonly string[],
): Promise<string[]> {
  if (keys.length === 0) return [];
  return deps.db.transaction(async (tx) => {
    await lockMediaKeys(tx, keys, 'exclusive');
    const used = new Set<string>();
    const list = [...keys];
    for (const row of await tx
      .select({ imageKey: posts.imageKey, thumbKey: posts.thumbKey })
      .from(posts)
      .where(or(inArray(posts.imageKey, list), inArray(posts.thumbKey, list)))) {
      used.add(row.imageKey);
      used.add(row.thumbKey);
    }
    for (const row of await tx
      .select({ avatarKey: users.avatarKey, avatarThumbKey: users.avatarThumbKey })
      .from(users)
      .where(or(inArray(users.avatarKey, list), inArray(users.avatarThumbKey, list)))) {
      if (row.avatarKey) used.add(row.avatarKey);
      if (row.avatarThumbKey) used.add(row.avatarThumbKey);
    }
    const removed = list.filter((key) => !used.has(key));
    // Inside the lock: an upload of the same bytes waits, then finds the file gone and
    // writes it again.
    await Promise.all(removed.map((key) => deps.media.delete(key)));
    return removed;
  });
}
