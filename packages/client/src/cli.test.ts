import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { createServer as createHttpServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { posts, users } from '@photogram/db';
import { createTestClient, signUpPerson, uniqueUsername } from '@photogram/server/testing/client';
import { solidImage, uploadForm } from '@photogram/server/testing/images';
import { freePort } from '@photogram/server/testing/process';
import { startTestServer, type TestServer } from '@photogram/server/testing/server';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, expect, test, vi } from 'vitest';
import { terminalJson, terminalText } from './terminal-text';

// The built CLI, as `npm install` links it: the global setup builds it before any test.
const cli = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
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
  return { child, done, output: () => stdout, errors: () => stderr };
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
  // `--json` prints nothing until an event, so the server says when the CLI's stream is
  // open: an upload before that could land before the id the CLI resumes from.
  await vi.waitFor(
    // Two streams: uploads and activity.
    async () => expect(await me.client.notifications.streamCount.query()).toEqual({ open: 2 }),
    { timeout: 15_000, interval: 50 },
  );
  const post = await friend.client.posts.upload.mutate(
    uploadForm(await solidImage(50, 50), { caption: 'from the browser' }),
  );
  await vi.waitFor(() => expect(watch.output()).toContain('\n'), { timeout: 10_000 });
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

  const upload = await run([
    'upload',
    photo,
    '--caption',
    'from the terminal',
    '--alt',
    'Waves on an empty beach',
  ]).done;
  expect(upload.code).toBe(0);
  expect(upload.stderr).toContain('100%');
  expect(upload.stdout).toMatch(new RegExp(`^Shared: ${server.url}/p/\\d+\\n$`));
  const sharedId = upload.stdout.trim().split('/p/')[1] ?? '';
  expect(await me.client.posts.byId.query({ postId: sharedId })).toMatchObject({
    caption: 'from the terminal',
    altText: 'Waves on an empty beach',
  });

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
  const deadUrl = `http://127.0.0.1:${await freePort()}`;
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

/**
 * The characters in `text` a terminal would obey (C0 but newline, so ESC and BEL; DEL;
 * C1, so a one-character CSI; bidi overrides and isolates), as `U+XXXX`.
 */
function obeyed(text: string): string[] {
  return [...text]
    .map((char) => char.codePointAt(0) ?? 0)
    .filter(
      (code) =>
        (code <= 0x1f && code !== 0x0a) ||
        (code >= 0x7f && code <= 0x9f) ||
        (code >= 0x202a && code <= 0x202e) ||
        (code >= 0x2066 && code <= 0x2069),
    )
    .map((code) => `U+${code.toString(16).padStart(4, '0')}`);
}

test('terminalText shows controls, escapes and bidi overrides as visible escapes', () => {
  expect(terminalText('plain text, café, 東京 📷')).toBe('plain text, café, 東京 📷');
  expect(terminalText('\u001b]0;pwned\u0007\u001b[2J\u202eevil')).toBe(
    '\\x1b]0;pwned\\x07\\x1b[2J\\u202eevil',
  );
  expect(terminalText('a\u0000b\tc\u007fd\u009b2Je\u0085f')).toBe(
    'a\\x00b\\tc\\x7fd\\x9b2Je\\x85f',
  );
  expect(terminalText('\u202a\u202b\u202c\u202d\u2066\u2067\u2068\u2069\u2028\u2029')).toBe(
    '\\u202a\\u202b\\u202c\\u202d\\u2066\\u2067\\u2068\\u2069\\u2028\\u2029',
  );
  // Line breaks keep the text on its one line; a bare CR (overwrite the line) is shown.
  expect(terminalText('one\ntwo\r\nthree\rfour')).toBe('one⏎two⏎three\\rfour');

  const value = { caption: 'a\u001b[2J\u009b\u202e\u2066\u007f\u2028b', n: 1 };
  const json = terminalJson(value);
  expect(obeyed(json)).toEqual([]);
  expect(JSON.parse(json)).toEqual(value);
});

test('a caption and a display name full of terminal escapes are shown, not obeyed, by feed and watch', async () => {
  const configDir = join(home, 'reader');
  const reader = uniqueUsername('reader');
  const readerClient = createTestClient(server.url);
  await readerClient.client.auth.signUp.mutate({ username: reader, password: 'password123' });
  const author = createTestClient(server.url);
  const authorName = uniqueUsername('eve');
  const { user: authorUser } = await author.client.auth.signUp.mutate({
    username: authorName,
    password: 'password123',
  });
  await readerClient.client.follows.follow.mutate({ userId: authorUser.id });
  // The text rule refuses such input now, so the hostile text goes straight into the
  // database, as rows stored before the rule (or by an older server) hold it.
  const { db } = server.database;
  const hostileName = 'Eve\u001b[31m Admin\u202e';
  await db.update(users).set({ displayName: hostileName }).where(eq(users.id, authorUser.id));
  const login = await run(['login', '--url', server.url, '--username', reader], {
    input: 'password123\n',
    configDir,
  }).done;
  expect(login.code).toBe(0);

  const watch = run(['watch'], { configDir });
  // It resumes after the newest notification it saw at start, so once it says it is
  // watching, the upload below reaches it whenever its stream connects.
  // vi.waitFor's default second is about what starting the CLI takes on a loaded machine.
  await vi.waitFor(() => expect(watch.errors()).toContain('Watching notifications'), {
    timeout: 10_000,
  });
  const post = await author.client.posts.upload.mutate(
    uploadForm(await solidImage(50, 50), { caption: 'sunset' }),
  );
  await vi.waitFor(() => expect(watch.output()).toContain('\n  http'), { timeout: 10_000 });
  watch.child.kill('SIGINT');
  const watched = await watch.done;
  const caption =
    'sunset\u001b]0;pwned\u0007\u001b[2J\u202eevil\nWARNING: your token expired\u009b2J';
  await db
    .update(posts)
    .set({ caption })
    .where(eq(posts.id, Number(post.id)));
  const feed = await run(['feed'], { configDir }).done;

  const name = `Eve\\x1b[31m Admin\\u202e (@${authorName})`;
  expect(watched.stdout).toContain(`${name} uploaded a new post — sunset\n`);
  expect(feed.stdout).toContain(`${name} · `);
  expect(feed.stdout).toContain(
    '\n  sunset\\x1b]0;pwned\\x07\\x1b[2J\\u202eevil⏎WARNING: your token expired\\x9b2J\n',
  );
  // The fake warning stays inside the caption's line instead of starting one of its own.
  expect(feed.stdout.split('\n').some((line) => line.startsWith('WARNING'))).toBe(false);
  for (const output of [watched.stdout, watched.stderr, feed.stdout, feed.stderr]) {
    expect(obeyed(output)).toEqual([]);
  }
});

test('a hostile server cannot reach the terminal through its error messages', async () => {
  const message = '\u001b[2J\u001b]0;pwned\u0007Your account is locked\u202e.';
  const hostile = createHttpServer((_request, response) => {
    const error = { message, code: -32001, data: { code: 'UNAUTHORIZED', httpStatus: 401 } };
    response.writeHead(401, { 'content-type': 'application/json' });
    response.end(JSON.stringify([{ error: { json: error } }]));
  });
  await new Promise<void>((resolve) => hostile.listen(0, '127.0.0.1', resolve));
  const address = hostile.address();
  const url = `http://127.0.0.1:${address && typeof address === 'object' ? address.port : 0}`;
  try {
    const login = await run(['login', '--url', url, '--username', 'x'], {
      input: 'password123\n',
      configDir: join(home, 'hostile'),
    }).done;
    expect(login.code).toBe(1);
    expect(login.stderr).toContain('\\x1b[2J\\x1b]0;pwned\\x07Your account is locked\\u202e.');
    expect(obeyed(login.stderr)).toEqual([]);
  } finally {
    await new Promise((resolve) => hostile.close(resolve));
  }
});

test('watch and inbox print follows, likes, comments and mentions beside uploads, in text and as JSON', async () => {
  const configDir = join(home, 'activity');
  const me = await signUpPerson(server.url, 'ada');
  const ada = me.user.username;
  const [bob, cat, dan, eve] = await Promise.all(
    ['bob', 'cat', 'dan', 'eve'].map((prefix) => signUpPerson(server.url, prefix)),
  );
  if (!bob || !cat || !dan || !eve) throw new Error('four people signed up');
  await me.client.follows.follow.mutate({ userId: bob.user.id });
  const photoOf = async (caption: string) => uploadForm(await solidImage(40, 40), { caption });
  const mine = await me.client.posts.upload.mutate(await photoOf('my walk'));
  // Before watch starts, in both streams: an upload and a follow it must not print.
  await bob.client.follows.follow.mutate({ userId: me.user.id });
  await bob.client.posts.upload.mutate(await photoOf('an older photo'));
  const login = await run(['login', '--url', server.url, '--username', ada], {
    input: 'password123\n',
    configDir,
  }).done;
  expect(login.code).toBe(0);

  const text = run(['watch'], { configDir });
  const json = run(['watch', '--json'], { configDir });
  await vi.waitFor(
    async () => expect(await me.client.notifications.streamCount.query()).toEqual({ open: 4 }),
    { timeout: 15_000, interval: 50 },
  );
  await cat.client.follows.follow.mutate({ userId: me.user.id });
  await bob.client.posts.like.mutate({ postId: mine.id });
  await dan.client.comments.add.mutate({ postId: mine.id, body: 'nice one' });
  const dans = await dan.client.posts.upload.mutate(await photoOf('a heron'));
  await cat.client.comments.add.mutate({ postId: dans.id, body: `look @${ada}, a heron` });
  const bobs = await bob.client.posts.upload.mutate(await photoOf(`@${ada} at the beach`));
  // A username from before the text rules (or an older server), straight into the database.
  const hostile = `${eve.user.username}\u001b[2J\u202e`;
  await server.database.db
    .update(users)
    .set({ username: hostile })
    .where(eq(users.id, eve.user.id));
  await eve.client.posts.like.mutate({ postId: mine.id });

  const at = (path: string) => `${server.url}${path}`;
  const expected = [
    `@${cat.user.username} followed you\n  ${at(`/u/${cat.user.username}`)}\n`,
    `@${bob.user.username} liked your post\n  ${at(`/p/${mine.id}`)}\n`,
    `@${dan.user.username} commented on your post: nice one\n  ${at(`/p/${mine.id}`)}\n`,
    `@${cat.user.username} mentioned you: look @${ada}, a heron\n  ${at(`/p/${dans.id}`)}\n`,
    `@${bob.user.username} uploaded a new post — @${ada} at the beach\n  ${at(`/p/${bobs.id}`)}\n`,
    `@${bob.user.username} mentioned you: @${ada} at the beach\n  ${at(`/p/${bobs.id}`)}\n`,
    `@${eve.user.username}\\x1b[2J\\u202e liked your post\n  ${at(`/p/${mine.id}`)}\n`,
  ];
  await vi.waitFor(
    () => {
      for (const line of expected) expect(text.output()).toContain(line);
      expect(json.output().split('\n')).toHaveLength(expected.length + 1);
    },
    { timeout: 10_000 },
  );
  text.child.kill('SIGINT');
  json.child.kill('SIGINT');
  const [watchedText, watchedJson] = await Promise.all([text.done, json.done]);
  // Each once, and nothing from before watch started.
  expect(watchedText.stdout.split('\n')).toHaveLength(expected.length * 2 + 1);
  expect(watchedText.stdout).not.toContain('an older photo');
  expect(watchedText.stdout).not.toContain(`@${bob.user.username} followed you`);

  const events = watchedJson.stdout
    .trim()
    .split('\n')
    .map((line): unknown => JSON.parse(line));
  expect(events).toHaveLength(expected.length);
  const post = (id: string) => ({
    id,
    url: at(`/p/${id}`),
    thumbUrl: expect.stringMatching(/^http/),
  });
  expect(events).toEqual(
    expect.arrayContaining([
      expect.objectContaining({
        type: 'follow',
        actor: expect.objectContaining({ id: cat.user.id }),
      }),
      expect.objectContaining({
        type: 'like',
        actor: expect.objectContaining({ id: bob.user.id }),
        post: expect.objectContaining(post(mine.id)),
      }),
      expect.objectContaining({
        type: 'comment',
        post: expect.objectContaining(post(mine.id)),
        comment: { id: expect.any(String), body: 'nice one' },
      }),
      expect.objectContaining({
        type: 'mention',
        actor: expect.objectContaining({ id: cat.user.id }),
        comment: { id: expect.any(String), body: `look @${ada}, a heron` },
      }),
      expect.objectContaining({
        type: 'upload',
        post: expect.objectContaining({ ...post(bobs.id), caption: `@${ada} at the beach` }),
      }),
      expect.objectContaining({
        type: 'mention',
        actor: expect.objectContaining({ id: bob.user.id }),
        post: expect.objectContaining(post(bobs.id)),
        comment: null,
      }),
      expect.objectContaining({
        type: 'like',
        actor: expect.objectContaining({ username: hostile }),
      }),
    ]),
  );

  const listed = await run(['inbox', '--limit', '100'], { configDir }).done;
  expect(listed.code).toBe(0);
  for (const line of expected) {
    const [sentence = '', url = ''] = line.split('\n');
    expect(listed.stdout).toMatch(`• ${sentence}\n    `);
    expect(listed.stdout).toContain(` · ${url.trim()}\n`);
  }
  expect(listed.stdout).toContain(`• @${bob.user.username} followed you\n`);

  // Read in the web app: the likes' row loses its dot.
  const { items } = await me.client.notifications.groups.query();
  const likes = items.find((group) => group.type === 'like');
  expect(await me.client.notifications.markGroupRead.mutate({ key: likes?.key ?? '' })).toEqual({
    count: 2,
  });
  const grouped = await run(['inbox', '--grouped'], { configDir }).done;
  expect(grouped.code).toBe(0);
  // Follows together, likes per post (the newest person first); an upload or a mention
  // alone. Each row: its sentence, marked when unread, then when and where.
  const rows = grouped.stdout.split('\n').filter((line) => !line.startsWith('    '));
  expect(rows).toEqual([
    `  @${eve.user.username}\\x1b[2J\\u202e and @${bob.user.username} liked your post`,
    `• @${bob.user.username} mentioned you: @${ada} at the beach`,
    `• @${bob.user.username} uploaded a new post — @${ada} at the beach`,
    `• @${cat.user.username} mentioned you: look @${ada}, a heron`,
    `• @${dan.user.username} commented on your post: nice one`,
    `• @${cat.user.username} and @${bob.user.username} followed you`,
    `• @${bob.user.username} uploaded a new post — an older photo`,
    '',
  ]);
  const groupedJson = await run(['inbox', '--grouped', '--json'], { configDir }).done;
  const groups = groupedJson.stdout
    .trim()
    .split('\n')
    .map((line): unknown => JSON.parse(line));
  // follows, likes on my post, the comment, two mentions and two uploads.
  expect(groups).toHaveLength(7);
  expect(groups).toContainEqual(
    expect.objectContaining({
      type: 'like',
      count: 2,
      actorCount: 2,
      post: expect.objectContaining(post(mine.id)),
    }),
  );

  for (const output of [
    watchedText.stdout,
    watchedText.stderr,
    watchedJson.stdout,
    listed.stdout,
    grouped.stdout,
    groupedJson.stdout,
  ]) {
    expect(obeyed(output)).toEqual([]);
  }
});
