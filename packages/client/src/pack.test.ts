import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { signUpPerson } from '@photogram/server/testing/client';
import { solidImage, uploadForm } from '@photogram/server/testing/images';
import { startTestServer, type TestServer } from '@photogram/server/testing/server';
import { afterAll, beforeAll, expect, test } from 'vitest';

const run = promisify(execFile);
const packageDir = fileURLToPath(new URL('..', import.meta.url));
// The workspace's own compiler, as an app in another repository would have its own.
const tsc = join(
  dirname(createRequire(import.meta.url).resolve('typescript/package.json')),
  'bin/tsc',
);
// Under `npm test` the parent npm's settings arrive as npm_* variables (the workspace, its
// prefix); the temporary project must install as a project of its own.
const env = Object.fromEntries(
  Object.entries(process.env).filter(([name]) => !name.toLowerCase().startsWith('npm_')),
);

let server: TestServer;
let project: string;
let packed: { filename: string; files: { path: string }[] };
let token: string;
let username: string;

beforeAll(async () => {
  project = await mkdtemp(join(tmpdir(), 'photogram-consumer-'));
  const install = (async () => {
    const { stdout } = await run(
      'npm',
      // The global setup built dist/ already; `prepare` building it again here would pull it
      // out from under the CLI tests running beside this file.
      ['pack', '--json', '--silent', '--ignore-scripts', '--pack-destination', project],
      { cwd: packageDir, env },
    );
    [packed] = JSON.parse(stdout);
    await writeFile(
      join(project, 'package.json'),
      JSON.stringify({ name: 'photogram-consumer', private: true, type: 'module' }),
    );
    // From the registry, like any app's dependencies: only the tarball is ours. An install
    // takes seconds; one that stalls on the registry (seen once in CI, under load) is
    // stopped after two minutes and tried once more rather than eating the hook's time.
    const args = ['install', '--no-audit', '--no-fund', join(project, packed.filename)];
    try {
      await run('npm', args, { cwd: project, env, timeout: 120_000 });
    } catch (first: unknown) {
      console.warn('npm install of the packed client failed once; trying again:', first);
      await run('npm', args, { cwd: project, env, timeout: 120_000 });
    }
  })();
  server = await startTestServer();
  const person = await signUpPerson(server.url, 'packed');
  username = person.user.username;
  ({ token } = await person.client.auth.createToken.mutate({ name: 'consumer app' }));
  await person.client.posts.upload.mutate(
    uploadForm(await solidImage(40, 30), { caption: 'from another repository' }),
  );
  await install;
}, 300_000);

afterAll(async () => {
  await server?.close();
  if (project) await rm(project, { recursive: true, force: true });
});

test('the tarball holds the built JavaScript and one bundled .d.ts, none of the sources', () => {
  const paths = packed.files.map((file) => file.path).sort();
  expect(paths).toEqual(expect.arrayContaining(['dist/cli.js', 'dist/index.d.ts', 'package.json']));
  for (const path of paths) {
    expect(path).toMatch(/^(package\.json|README\.md|dist\/[\w-]+\.(js|d\.ts))$/);
  }
});

test('an app outside the workspace typechecks against the installed types and calls the server', async () => {
  await writeFile(
    join(project, 'tsconfig.json'),
    JSON.stringify({
      // skipLibCheck stays off, so the bundled .d.ts is checked too; @trpc/server's own
      // declarations use Disposable, hence that lib.
      compilerOptions: {
        target: 'ES2023',
        module: 'NodeNext',
        moduleResolution: 'NodeNext',
        lib: ['ES2023', 'ESNext.Disposable', 'DOM'],
        types: [],
        strict: true,
        outDir: 'out',
      },
      files: ['app.ts'],
    }),
  );
  await writeFile(
    join(project, 'app.ts'),
    `import { createPhotogramClient, type RouterOutputs } from '@photogram/client';

const photogram = createPhotogramClient({ url: ${JSON.stringify(server.url)}, token: ${JSON.stringify(token)} });
const me = await photogram.auth.me.query();
const page: RouterOutputs['feed']['list'] = await photogram.feed.list.query({ limit: 5 });
const captions: string[] = page.items.map((post) => post.caption);
console.log(JSON.stringify({ username: me?.username, captions }));

// Never called: these lines are here for the compiler, which must know the router.
export function wrongCalls() {
  // @ts-expect-error \`limit\` is a number
  void photogram.feed.list.query({ limit: 'five' });
  // @ts-expect-error there is no such procedure
  void photogram.feed.everything.query();
}
`,
  );
  const compiled = await run(process.execPath, [tsc, '-p', 'tsconfig.json'], {
    cwd: project,
  }).catch((error: { stdout?: string }) => {
    throw new Error(`tsc failed:\n${error.stdout ?? String(error)}`);
  });
  expect(compiled.stdout).toBe('');

  const { stdout } = await run(process.execPath, [join(project, 'out/app.js')], { cwd: project });
  expect(JSON.parse(stdout)).toEqual({ username, captions: ['from another repository'] });
});

test('the installed photogram command runs with plain node: help, login, feed', async () => {
  const photogram = join(project, 'node_modules/.bin/photogram');
  const configEnv = { ...env, PHOTOGRAM_CONFIG_DIR: join(project, 'config') };

  const help = await run(photogram, ['--help'], { env: configEnv });
  expect(help.stdout).toMatch(/^Usage: photogram <command>/);

  const login = run(photogram, ['login', '--url', server.url, '--username', username], {
    env: configEnv,
  });
  login.child.stdin?.end('password123\n');
  expect((await login).stdout).toContain(`Signed in as @${username}.`);

  const feed = await run(photogram, ['feed'], { env: configEnv });
  expect(feed.stdout).toContain('from another repository');
});
