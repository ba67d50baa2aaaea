import { randomUUID } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Readable } from 'node:stream';

/** Where image variants live. Keys are content-addressed, so a key's bytes never change. */
export interface MediaStorage {
  put(key: string, data: Uint8Array): Promise<void>;
  /** The stored bytes as a stream, or null when there is no such key. */
  open(key: string): Promise<{ stream: Readable; size: number } | null>;
  exists(key: string): Promise<boolean>;
  /** Removes the key; removing a missing key is not an error. */
  delete(key: string): Promise<void>;
  /** Every stored key, in no particular order (for the sweeper). */
  keys(): AsyncIterable<string>;
  /**
   * Removes what a writer that died left half-written, if older than `olderThanMs`;
   * returns how many.
   */
  removeStaleTemporaryFiles(olderThanMs: number): Promise<number>;
}

/** `ab/<64 hex>.webp`: the only shape a key can have, so no path can escape the folder. */
const MEDIA_KEY = /^[0-9a-f]{2}\/[0-9a-f]{64}\.webp$/;

export function isMediaKey(key: string): boolean {
  return MEDIA_KEY.test(key) && key.startsWith(key.slice(3, 5));
}

export function mediaContentType(_key: string): string {
  return 'image/webp';
}

function assertKey(key: string) {
  if (!isMediaKey(key)) throw new Error(`not a media key: ${JSON.stringify(key)}`);
}

/** Files under one folder, written to a temporary name and renamed, so readers never see half a file. */
export function createLocalMediaStorage(root: string): MediaStorage {
  const pathOf = (key: string) => {
    assertKey(key);
    return join(root, key);
  };
  return {
    async put(key, data) {
      const path = pathOf(key);
      await mkdir(dirname(path), { recursive: true });
      const temporary = `${path}.${randomUUID()}.tmp`;
      try {
        await writeFile(temporary, data);
        await rename(temporary, path);
      } catch (error: unknown) {
        await rm(temporary, { force: true });
        throw error;
      }
    },
    async open(key) {
      if (!isMediaKey(key)) return null;
      const path = pathOf(key);
      try {
        const info = await stat(path);
        return { stream: createReadStream(path), size: info.size };
      } catch (error: unknown) {
        if (error instanceof Error && 'code' in error && error.code === 'ENOENT') return null;
        throw error;
      }
    },
    async exists(key) {
      try {
        await stat(pathOf(key));
        return true;
      } catch (error: unknown) {
        if (error instanceof Error && 'code' in error && error.code === 'ENOENT') return false;
        throw error;
      }
    },
    async delete(key) {
      await rm(pathOf(key), { force: true });
    },
    async *keys() {
      for await (const { key } of storedFiles(root)) {
        if (isMediaKey(key)) yield key;
      }
    },
    async removeStaleTemporaryFiles(olderThanMs) {
      const before = Date.now() - olderThanMs;
      let removed = 0;
      for await (const { key, path } of storedFiles(root)) {
        if (!key.endsWith('.tmp')) continue;
        const info = await stat(path).catch(() => null);
        if (info && info.mtimeMs < before) {
          await rm(path, { force: true });
          removed += 1;
        }
      }
      return removed;
    },
  };
}

/** Every file in the two-hex-digit folders under `root`, as `ab/<name>` and its path. */
async function* storedFiles(root: string): AsyncGenerator<{ key: string; path: string }> {
  for (const folder of await listFolder(root)) {
    if (!/^[0-9a-f]{2}$/.test(folder)) continue;
    for (const name of await listFolder(join(root, folder))) {
      yield { key: `${folder}/${name}`, path: join(root, folder, name) };
    }
  }
}

/** A folder's entries; a folder that does not exist (yet) has none. */
async function listFolder(path: string): Promise<string[]> {
  try {
    return await readdir(path);
  } catch (error: unknown) {
    if (error instanceof Error && 'code' in error && error.code === 'ENOENT') return [];
    throw error;
  }
}
