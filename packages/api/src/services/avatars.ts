import { type Database, type Transaction, users } from '@photogram/db';
import { eq } from 'drizzle-orm';
import type { DecodePool } from '../media/decode-pool';
import { AVATAR_VARIANTS, processImage } from '../media/pipeline';
import type { MediaStorage } from '../media/storage';
import { lockMediaKeys, releaseMedia } from './media-keys';

export interface AvatarDeps {
  db: Database;
  media: MediaStorage;
  decodes?: DecodePool;
  reportError(error: unknown, message: string): void;
}

/**
 * Removes the files of these keys that nothing uses any more (files another post or
 * person shares stay): the replaced photo's after an update or removal, the new photo's
 * after a failed update. A failure here only leaves files for the sweeper.
 */
async function release(deps: AvatarDeps, keys: readonly string[]) {
  await releaseMedia(deps, keys).catch((error: unknown) => {
    deps.reportError(error, 'removing unused profile photo files failed; the sweeper will');
  });
}

/**
 * Sets a person's two avatar keys (null: no photo) and returns the keys they replace,
 * read under the row lock the update takes: of two changes at once, the later one sees
 * (and releases) the earlier one's keys.
 */
async function replaceAvatarKeys(
  tx: Transaction,
  userId: string,
  next: { avatarKey: string | null; avatarThumbKey: string | null },
): Promise<string[]> {
  const [old] = await tx
    .select({ avatarKey: users.avatarKey, avatarThumbKey: users.avatarThumbKey })
    .from(users)
    .where(eq(users.id, userId))
    .for('update');
  await tx.update(users).set(next).where(eq(users.id, userId));
  return [old?.avatarKey ?? null, old?.avatarThumbKey ?? null].filter(
    (key): key is string => key !== null,
  );
}

/**
 * Sets a person's profile photo: decoded, cropped square and stripped of metadata by the
 * media pipeline (a post's limits), stored under content-addressed keys, then recorded.
 * All or nothing, as a post's upload: a failure leaves the old photo and no new files.
 */
export async function updateAvatar(
  deps: AvatarDeps,
  params: { userId: string; image: Blob; maxPixels?: number },
): Promise<void> {
  const bytes = Buffer.from(await params.image.arrayBuffer());
  const processed = await processImage(bytes, {
    decodes: deps.decodes,
    maxPixels: params.maxPixels,
    variants: AVATAR_VARIANTS,
  });
  const keys = [processed.display.key, processed.thumb.key];
  let previous: string[] = [];
  try {
    previous = await deps.db.transaction(async (tx) => {
      await lockMediaKeys(tx, keys, 'shared');
      for (const variant of [processed.display, processed.thumb]) {
        if (!(await deps.media.exists(variant.key)))
          await deps.media.put(variant.key, variant.data);
      }
      return replaceAvatarKeys(tx, params.userId, {
        avatarKey: processed.display.key,
        avatarThumbKey: processed.thumb.key,
      });
    });
  } catch (error: unknown) {
    await release(deps, keys);
    throw error;
  }
  // Keys the new photo shares with the old one (the same photo again) are still in use.
  const replaced = previous.filter((key) => !keys.includes(key));
  await release(deps, replaced);
}

/** Removes a person's profile photo (nothing to remove is fine). */
export async function removeAvatar(deps: AvatarDeps, params: { userId: string }): Promise<void> {
  const previous = await deps.db.transaction((tx) =>
    replaceAvatarKeys(tx, params.userId, { avatarKey: null, avatarThumbKey: null }),
  );
  await release(deps, previous);
}
