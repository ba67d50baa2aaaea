import { execFile, execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, expect, test } from 'vitest';

const run = promisify(execFile);
const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const sherif = join(root, 'node_modules', '.bin', 'sherif');

/** Every committed package.json, at its own path: all sherif reads. */
const manifests = execFileSync('git', ['ls-files', '--', 'package.json', '*/package.json'], {
  cwd: root,
  encoding: 'utf8',
})
  .split('\n')
  .filter(Boolean);

const copies: string[] = [];
afterAll(() => {
  for (const copy of copies) rmSync(copy, { recursive: true, force: true });
});

/** A copy of the workspace's manifests in a temporary folder, with `edit` applied to one. */
function copyOfWorkspace(edit?: { file: string; change: (manifest: Manifest) => void }) {
  const copy = mkdtempSync(join(tmpdir(), 'photogram-drift-'));
  copies.push(copy);
  for (const file of manifests) {
    cpSync(join(root, file), join(copy, file), { recursive: true });
  }
  if (edit) {
    const path = join(copy, edit.file);
    const manifest = JSON.parse(readFileSync(path, 'utf8')) as Manifest;
    edit.change(manifest);
    writeFileSync(path, JSON.stringify(manifest, null, 2));
  }
  return copy;
}

interface Manifest {
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
}

async function check(folder: string) {
  try {
    const { stdout, stderr } = await run(sherif, [], { cwd: folder });
    return { ok: true, output: stdout + stderr };
  } catch (error) {
    const failed = error as { stdout: string; stderr: string };
    return { ok: false, output: failed.stdout + failed.stderr };
  }
}

test('the workspace as committed has one version of every dependency', async () => {
  expect(manifests).toContain('packages/client/package.json');
  const result = await check(copyOfWorkspace());
  expect(result.output).toContain('No issues found');
  expect(result.ok).toBe(true);
});

test('one workspace drifting from the others fails the check, naming the dependency', async () => {
  const result = await check(
    copyOfWorkspace({
      file: 'apps/web/package.json',
      change: (manifest) => {
        if (!manifest.dependencies?.['@trpc/client'])
          throw new Error('apps/web has no @trpc/client');
        manifest.dependencies['@trpc/client'] = '11.25.1';
      },
    }),
  );
  expect(result.ok).toBe(false);
  expect(result.output).toContain('@trpc/client');
  expect(result.output).toContain('multiple-dependency-versions');
});
