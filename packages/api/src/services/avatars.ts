import { type Database, users } from '@photogram/db';
import { eq, sql } from 'drizzle-orm';
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

/** Files the previous photo used, once nothing refers to them (shared files stay). */
async function releaseOld(deps: AvatarDeps, keys: Array<string | null>) {
  const old = keys.filter((key): key is string => key !== null);
  await releaseMedia(deps, old).catch((error: unknown) => {
    deps.reportError(error, 'removing an old profile photo failed; the sweeper will');
  });
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
  let previous: Array<string | null> = [];
  try {
    previous = await deps.db.transaction(async (tx) => {
      await lockMediaKeys(tx, keys, 'shared');
      for (const variant of [processed.display, processed.thumb]) {
        if (!(await deps.media.exists(variant.key)))
          await deps.media.put(variant.key, variant.data);
      }
      // The old keys, read under the row's lock the update takes.
      const [old] = await tx
        .select({ avatarKey: users.avatarKey, avatarThumbKey: users.avatarThumbKey })
        .from(users)
        .where(eq(users.id, params.userId))
        .for('update');
      await tx
        .update(users)
        .set({ avatarKey: processed.display.key, avatarThumbKey: processed.thumb.key })
        .where(eq(users.id, params.userId));
      return [old?.avatarKey ?? null, old?.avatarThumbKey ?? null];
    });
  } catch (error: unknown) {
    await releaseOld(deps, keys);
    throw error;
  }
  await releaseOld(
    deps,
    previous.filter((key) => key !== null && !keys.includes(key)),
  );
}

/** Removes a person's profile photo (nothing to remove is fine). */
export async function removeAvatar(deps: AvatarDeps, params: { userId: string }): Promise<void> {
  const previous = await deps.db.transaction(async (tx) => {
    const [old] = await tx
      .select({ avatarKey: users.avatarKey, avatarThumbKey: users.avatarThumbKey })
      .from(users)
      .where(eq(users.id, params.userId))
      .for('update');
    await tx
      .update(users)
      .set({ avatarKey: sql`null`, avatarThumbKey: sql`null` })
      .where(eq(users.id, params.userId));
    return [old?.avatarKey ?? null, old?.avatarThumbKey ?? null];
  });
  await releaseOld(deps, previous);
}
