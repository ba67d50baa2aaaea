import type { Database } from '@photogram/db';
import { releaseMedia } from '../services/media-keys';
import type { MediaStorage } from './storage';

/** A temporary file older than this was left by a writer that died. */
const STALE_TEMPORARY_MS = 60 * 60 * 1000;
const BATCH = 500;

/**
 * Removes media files no post uses: those of an upload whose process died between
 * writing them and committing (kill -9), or whose clean-up failed with the database.
 * Each batch goes through `releaseMedia`, under the same key locks as uploads, so a file
 * an upload is about to commit is never taken.
 */
export async function sweepMedia(deps: {
  db: Database;
  media: MediaStorage;
}): Promise<{ removed: number; temporary: number }> {
  let removed = 0;
  let batch: string[] = [];
  for await (const key of deps.media.keys()) {
    batch.push(key);
    if (batch.length === BATCH) {
      removed += (await releaseMedia(deps, batch)).length;
      batch = [];
    }
  }
  removed += (await releaseMedia(deps, batch)).length;
  const temporary = await deps.media.removeStaleTemporaryFiles(STALE_TEMPORARY_MS);
  return { removed, temporary };
}
