import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

/**
 * The CLI and pack tests run the built files, so they are built from the sources under
 * test first; a `dist/` left from an earlier build would let them pass on stale code.
 */
export default async function buildOnce(): Promise<void> {
  const cwd = fileURLToPath(new URL('.', import.meta.url));
  try {
    await promisify(execFile)('npm', ['run', 'build', '--silent'], { cwd });
  } catch (error: unknown) {
    const output = error && typeof error === 'object' && 'stderr' in error ? error.stderr : '';
    throw new Error(`npm run build failed in packages/client:\n${String(output)}`);
  }
}
