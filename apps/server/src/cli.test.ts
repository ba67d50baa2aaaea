import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { createTestClient, uniqueUsername } from './testing/client';
import { solidImage, uploadForm } from './testing/images';
import { startTestServer, type TestServer } from './testing/server';

const cli = fileURLToPath(new URL('../../../packages/client/bin/photogram.mjs', import.meta.url));
let server: TestServer;
let home: string;
let photo: string;
beforeAll(async () => {
  server = await startTestServer();
  home = await mkdtemp(join(tmpdir(), 'photogram-cli-'));
  photo = join(home, 'beach.jpg');
  await writeFile(photo, await solidImage(640, 480));
});
afterAll(async () => {
  await server?.close();
  await rm(home, { recursive: true, force: true });
});

function run(args: string[], options: { input?: string; configDir?: string } = {}) {
  const child = spawn(process.execPath, [cli, ...args], {
    env: { ...process.env, PHOTOGRAM_CONFIG_DIR: options.configDir ?? join(home, 'config') },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
  });
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  child.stdin.end(options.input ?? '');
  const done = new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) =>
    child.on('exit', (code) => resolve({ code, stdout, stderr })),
  );
  return { child, done, output: () => stdout };
}

test('login, upload with progress, watch and feed, as a new user would', async () => {
  const username = uniqueUsername('cli');
  await createTestClient(server.url).client.auth.signUp.mutate({
    username,
    password: 'password123',
  });

  const login = await run(['login', '--url', server.url, '--username', username], {
    input: 'password123\n',
  }).done;
  expect(login.stderr).toBe('Password: ');
  expect(login.stdout).toContain(`Signed in as @${username}.`);
  expect(login.code).toBe(0);
  const configFile = join(home, 'config', 'config.json');
  expect((await stat(configFile)).mode & 0o777).toBe(0o600);
  const config: unknown = JSON.parse(await readFile(configFile, 'utf8'));
  expect(config).toMatchObject({
    url: server.url,
    username,
    token: expect.stringMatching(/^pgt_/),
  });

  // Someone the CLI user follows, uploading from "the browser".
  const friend = createTestClient(server.url);
  const { user: friendUser } = await friend.client.auth.signUp.mutate({
    username: uniqueUsername('friend'),
    password: 'password123',
  });
  const follow = await run(['feed']).done;
  expect(follow.stdout).toContain('Your feed is empty');
  const me = createTestClient(server.url);
  await me.client.auth.signIn.mutate({ username, password: 'password123' });
  await me.client.follows.follow.mutate({ userId: friendUser.id });

  const watch = run(['watch', '--json']);
  await new Promise((resolve) => setTimeout(resolve, 1_500));
  const post = await friend.client.posts.upload.mutate(
    uploadForm(await solidImage(50, 50), { caption: 'from the browser' }),
  );
  for (let i = 0; i < 250 && !watch.output().includes('\n'); i++)
    await new Promise((r) => setTimeout(r, 20));
  watch.child.kill('SIGINT');
  const watched = await watch.done;
  const lines = watched.stdout.trim().split('\n');
  expect(lines).toHaveLength(1);
  const event: unknown = JSON.parse(lines[0] ?? '');
  expect(event).toMatchObject({
    type: 'upload',
    actor: { id: friendUser.id },
    post: { id: post.id, caption: 'from the browser', url: `${server.url}/p/${post.id}` },
  });

  const upload = await run(['upload', photo, '--caption', 'from the terminal']).done;
  expect(upload.code).toBe(0);
  expect(upload.stderr).toContain('100%');
  expect(upload.stdout).toMatch(new RegExp(`^Shared: ${server.url}/p/\\d+\\n$`));

  const feed = await run(['feed', '--limit', '5']).done;
  expect(feed.stdout).toContain('from the terminal');
  expect(feed.stdout).toContain('from the browser');

  const logout = await run(['logout']).done;
  expect(logout.stdout).toContain('revoked and forgotten');
  const after = await run(['feed']).done;
  expect(after.code).toBe(1);
  expect(after.stderr).toContain('photogram login');
});

test('a wrong URL, a bad token and a bad command get clear messages', async () => {
  const configDir = join(home, 'bad');
  // A port that was free a moment ago: nothing listens there.
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const address = probe.address();
  const port = address && typeof address === 'object' ? address.port : 0;
  await new Promise((resolve) => probe.close(resolve));
  const deadUrl = `http://127.0.0.1:${port}`;
  const unreachable = await run(['login', '--url', deadUrl, '--username', 'x'], {
    input: 'password123\n',
    configDir,
  }).done;
  expect(unreachable.code).toBe(1);
  expect(unreachable.stderr).toContain(
    `Could not reach Photogram at ${deadUrl}: nothing is listening there.`,
  );

  const notAUrl = await run(['login', '--url', 'photos', '--username', 'x'], { configDir }).done;
  expect(notAUrl.stderr).toContain('is not a URL');

  await mkdir(configDir, { recursive: true });
  await writeFile(
    join(configDir, 'config.json'),
    JSON.stringify({ url: server.url, token: 'pgt_not-a-real-token', username: 'x', tokenId: 'y' }),
  );
  const refused = await run(['feed'], { configDir }).done;
  expect(refused.code).toBe(1);
  expect(refused.stderr).toContain('Please sign in to continue.');
  expect(refused.stderr).toContain('Run `photogram login`');

  const unknown = await run(['fly'], { configDir }).done;
  expect([unknown.code, unknown.stderr.split('\n')[0]]).toEqual([2, 'Unknown command "fly".']);
});
