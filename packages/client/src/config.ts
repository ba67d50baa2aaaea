import { chmod, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';

/** What `photogram login` remembers. */
export interface CliConfig {
  url: string;
  token: string;
  username: string;
  tokenId: string;
}

/** `$PHOTOGRAM_CONFIG_DIR`, else `$XDG_CONFIG_HOME/photogram`, else `~/.config/photogram`. */
export function configPath(env: Record<string, string | undefined>): string {
  const dir =
    env.PHOTOGRAM_CONFIG_DIR ??
    join(env.XDG_CONFIG_HOME ?? join(homedir(), '.config'), 'photogram');
  return join(dir, 'config.json');
}

export async function readConfig(path: string): Promise<CliConfig | null> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error: unknown) {
    if (error instanceof Error && 'code' in error && error.code === 'ENOENT') return null;
    throw error;
  }
  const data: unknown = JSON.parse(text);
  if (
    data &&
    typeof data === 'object' &&
    'url' in data &&
    typeof data.url === 'string' &&
    'token' in data &&
    typeof data.token === 'string' &&
    'username' in data &&
    typeof data.username === 'string' &&
    'tokenId' in data &&
    typeof data.tokenId === 'string'
  ) {
    return { url: data.url, token: data.token, username: data.username, tokenId: data.tokenId };
  }
  return null;
}

/** Writes the config readable by its owner only (0600), in a folder only they can enter. */
export async function writeConfig(path: string, config: CliConfig): Promise<void> {
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  await writeFile(path, `${JSON.stringify(config, null, 2)}\n`, { mode: 0o600 });
  // `mode` only applies when the file is created; an existing file is tightened too.
  await chmod(path, 0o600);
}

export async function deleteConfig(path: string): Promise<void> {
  await rm(path, { force: true });
}
