import { readFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { basename } from 'node:path';
import { createInterface } from 'node:readline/promises';
import { parseArgs } from 'node:util';
import { describeGroup, describeNotification, notificationStream } from '@photogram/contracts';
import { type CliConfig, configPath, deleteConfig, readConfig, writeConfig } from './config';
import {
  absoluteUrl,
  createPhotogramClient,
  type PhotogramClient,
  type RouterOutputs,
  TRPCClientError,
} from './index';
import { terminalJson, terminalText } from './terminal-text';

const usage = `Usage: photogram <command> [options]

Commands:
  login [--url URL] [--username NAME]   sign in and save an API token
  upload <file> [--caption TEXT] [--alt TEXT]
                                        share a photo (--alt: what it shows, for people
                                        who cannot see it)
  watch [--json]                        print your notifications as they happen
  inbox [--grouped] [--limit N] [--json]
                                        print your newest notifications (--grouped: as
                                        the web app's inbox shows them)
  feed [--limit N]                      print your feed
  logout                                revoke the saved token and forget it

The password is read from the terminal, or from standard input when it is not one.`;

type Env = Record<string, string | undefined>;
interface Io {
  out(text: string): void;
  err(text: string): void;
}

const stdio: Io = {
  out: (text) => process.stdout.write(text),
  err: (text) => process.stderr.write(text),
};

/**
 * A sentence for the person at the terminal; never a stack trace. Whatever came from
 * elsewhere (the server's message, the URL) goes through `terminalText`.
 */
export function explain(error: unknown, rawUrl: string, { signingIn = false } = {}): string {
  const url = terminalText(rawUrl);
  if (error instanceof TRPCClientError) {
    const message = terminalText(error.message);
    const code: unknown = error.data?.code;
    if (code === 'UNAUTHORIZED' && !signingIn) {
      return `${message}\nRun \`photogram login\` to sign in again.`;
    }
    if (typeof code === 'string') return message;
    const cause: unknown = error.cause;
    const network = cause instanceof Error && cause.cause instanceof Error ? cause.cause : cause;
    if (network instanceof Error && 'code' in network && typeof network.code === 'string') {
      const reasons: Record<string, string> = {
        ECONNREFUSED: 'nothing is listening there',
        ENOTFOUND: 'that host name does not resolve',
        ECONNRESET: 'the connection was cut',
        ETIMEDOUT: 'it did not answer in time',
      };
      return `Could not reach Photogram at ${url}: ${reasons[network.code] ?? terminalText(network.code)}. Check the URL and that the server is running.`;
    }
    if (cause instanceof TypeError) {
      return `Could not reach Photogram at ${url}. Check the URL and that the server is running.`;
    }
    return `${url} did not answer like a Photogram server. Check the URL.`;
  }
  return terminalText(error instanceof Error ? error.message : String(error));
}

/** "Ada Lovelace (@ada)", or "@ada" when the name is the username; made safe to print. */
function person(user: { username: string; displayName: string }): string {
  const username = `@${terminalText(user.username)}`;
  return user.displayName && user.displayName !== user.username
    ? `${terminalText(user.displayName)} (${username})`
    : username;
}

async function prompt(question: string, { hidden = false } = {}): Promise<string> {
  const stdin = process.stdin;
  if (hidden && stdin.isTTY) {
    process.stderr.write(question);
    stdin.setRawMode(true);
    stdin.resume();
    return new Promise((resolve, reject) => {
      let value = '';
      const onData = (chunk: Buffer) => {
        for (const char of chunk.toString('utf8')) {
          if (char === '\r' || char === '\n') {
            stdin.setRawMode(false);
            stdin.pause();
            stdin.off('data', onData);
            process.stderr.write('\n');
            resolve(value);
            return;
          }
          if (char === '\u0003') {
            stdin.setRawMode(false);
            reject(new Error('Cancelled.'));
            return;
          }
          value = char === '\u007f' ? value.slice(0, -1) : value + char;
        }
      };
      stdin.on('data', onData);
    });
  }
  const rl = createInterface({
    input: stdin,
    output: process.stderr,
    terminal: Boolean(stdin.isTTY),
  });
  try {
    return (await rl.question(question)).trim();
  } finally {
    rl.close();
  }
}

/** A cookie jar for the one sign-in the login command makes before it has a token. */
function sessionFetch(origin: string): typeof fetch {
  let cookie = '';
  return async (input, init) => {
    const headers = new Headers(init?.headers);
    headers.set('origin', origin);
    if (cookie) headers.set('cookie', cookie);
    const response = await fetch(input, { ...init, headers });
    const session = response.headers.getSetCookie().map((line) => line.split(';')[0] ?? '');
    if (session.length > 0) cookie = session.join('; ');
    return response;
  };
}

async function login(args: string[], env: Env, io: Io): Promise<number> {
  const { values } = parseArgs({
    args,
    options: { url: { type: 'string' }, username: { type: 'string' } },
  });
  const url =
    values.url ??
    ((await prompt('Photogram URL [http://127.0.0.1:3000]: ')) || 'http://127.0.0.1:3000');
  let origin: string;
  try {
    origin = new URL(url).origin;
  } catch {
    io.err(`"${terminalText(url)}" is not a URL. Try something like http://127.0.0.1:3000\n`);
    return 2;
  }
  const username = values.username ?? (await prompt('Username: '));
  const password = await prompt('Password: ', { hidden: true });
  const client = createPhotogramClient({ url: origin, fetch: sessionFetch(origin) });
  try {
    const { user } = await client.auth.signIn.mutate({ username, password });
    const created = await client.auth.createToken.mutate({
      name: `photogram CLI on ${hostname()}`,
    });
    await client.auth.signOut.mutate();
    const path = configPath(env);
    await writeConfig(path, {
      url: origin,
      token: created.token,
      tokenId: created.id,
      username: user.username,
    });
    io.out(
      `Signed in as ${person(user)}. Your token is saved in ${terminalText(path)} (readable only by you).\n`,
    );
    return 0;
  } catch (error: unknown) {
    io.err(`${explain(error, origin, { signingIn: true })}\n`);
    return 1;
  }
}

async function requireConfig(env: Env, io: Io): Promise<CliConfig | null> {
  const config = await readConfig(configPath(env));
  if (!config) io.err('You are not signed in. Run `photogram login` first.\n');
  return config;
}

function size(bytes: number): string {
  return bytes < 1_048_576
    ? `${Math.ceil(bytes / 1024)} KB`
    : `${(bytes / 1_048_576).toFixed(1)} MB`;
}

function progressBar(sent: number, total: number | null): string {
  if (!total) return `Uploading… ${size(sent)}`;
  const width = 24;
  const filled = Math.round((sent / total) * width);
  const percent = Math.floor((sent / total) * 100);
  return `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${String(percent).padStart(3)}% ${size(sent)} of ${size(total)}`;
}

async function upload(args: string[], env: Env, io: Io): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { caption: { type: 'string', short: 'c' }, alt: { type: 'string' } },
  });
  const file = positionals[0];
  if (!file) {
    io.err('Which photo? Usage: photogram upload <file> [--caption TEXT] [--alt TEXT]\n');
    return 2;
  }
  const config = await requireConfig(env, io);
  if (!config) return 1;
  let bytes: Buffer;
  try {
    bytes = await readFile(file);
  } catch (error: unknown) {
    io.err(
      `Cannot read ${terminalText(file)}: ${error instanceof Error && 'code' in error ? terminalText(String(error.code)) : 'unknown error'}\n`,
    );
    return 1;
  }
  const client = createPhotogramClient({
    url: config.url,
    token: config.token,
    onUploadProgress: (sent, total) => io.err(`\r${progressBar(sent, total)}`),
  });
  const form = new FormData();
  form.set('image', new File([new Uint8Array(bytes)], basename(file)));
  form.set('caption', values.caption ?? '');
  if (values.alt !== undefined) form.set('altText', values.alt);
  try {
    const post = await client.posts.upload.mutate(form);
    io.err('\n');
    io.out(`Shared: ${terminalText(absoluteUrl(config.url, `/p/${post.id}`))}\n`);
    return 0;
  } catch (error: unknown) {
    io.err(`\n${explain(error, config.url)}\n`);
    return 1;
  }
}

/** A notification as `notifications.list` returns it: one of the union's five types. */
type Notification = RouterOutputs['notifications']['list']['items'][number];
type Stream = ReturnType<typeof notificationStream>;

/** How far back `watch` looks for where each stream stands: 5 pages of the inbox. */
const START_PAGES = 5;
const START_PAGE_SIZE = 100;

/**
 * The newest `eventId` of each stream in the inbox, for `watch` to resume after, so what
 * commits while its streams connect is not missed. Uploads and activity count their ids
 * apart, so each needs its own; the largest seen, not the first, because the inbox is
 * ordered by row id and two notifications committing at once can take their ids in the
 * other order. "0" when the inbox holds none of a kind (everything is new); null (live
 * only) when the pages read hold none but the inbox goes on.
 */
async function startingPoints(client: PhotogramClient): Promise<Record<Stream, string | null>> {
  const newest: Record<Stream, number | null> = { upload: null, activity: null };
  let cursor: string | null = null;
  for (let page = 0; page < START_PAGES; page++) {
    const { items, nextCursor }: { items: Notification[]; nextCursor: string | null } =
      await client.notifications.list.query({ limit: START_PAGE_SIZE, cursor });
    for (const item of items) {
      const stream = notificationStream(item);
      newest[stream] = Math.max(newest[stream] ?? 0, Number(item.eventId));
    }
    if (nextCursor === null) {
      return { upload: String(newest.upload ?? 0), activity: String(newest.activity ?? 0) };
    }
    if (newest.upload !== null && newest.activity !== null) break;
    cursor = nextCursor;
  }
  const found = (id: number | null) => (id === null ? null : String(id));
  return { upload: found(newest.upload), activity: found(newest.activity) };
}

function postUrl(baseUrl: string, post: { id: string }): string {
  return absoluteUrl(baseUrl, `/p/${encodeURIComponent(post.id)}`);
}

function profileUrl(baseUrl: string, user: { username: string }): string {
  return absoluteUrl(baseUrl, `/u/${encodeURIComponent(user.username)}`);
}

/**
 * What the CLI says of a notification: its sentence (`describeNotification`, as the web
 * app says it; an upload keeps the display name `watch` has always shown) with what was
 * written, and the address of the page it is about. Every piece from the server goes
 * through `terminalText`.
 */
function describe(baseUrl: string, notification: Notification): { line: string; url: string } {
  const said = terminalText(describeNotification(notification));
  const excerpt = (text: string) => (text ? `: ${terminalText(text)}` : '');
  switch (notification.type) {
    case 'upload': {
      const { caption } = notification.post;
      return {
        line: `${person(notification.actor)} uploaded a new post${caption ? ` — ${terminalText(caption)}` : ''}`,
        url: terminalText(postUrl(baseUrl, notification.post)),
      };
    }
    case 'follow':
      return { line: said, url: terminalText(profileUrl(baseUrl, notification.actor)) };
    case 'like':
      return { line: said, url: terminalText(postUrl(baseUrl, notification.post)) };
    case 'comment':
      return {
        line: `${said}${excerpt(notification.comment.body)}`,
        url: terminalText(postUrl(baseUrl, notification.post)),
      };
    case 'mention':
      // In a comment, or (no comment) in the post's caption.
      return {
        line: `${said}${excerpt(notification.comment?.body ?? notification.post.caption)}`,
        url: terminalText(postUrl(baseUrl, notification.post)),
      };
  }
}

/**
 * A notification as `watch --json` prints it: as the server sent it (`type` says which
 * kind), with the server's relative addresses made absolute and the post's page added.
 */
function notificationJson(baseUrl: string, notification: Notification): string {
  const { avatarUrl } = notification.actor;
  const actor = {
    ...notification.actor,
    avatarUrl: avatarUrl === null ? null : absoluteUrl(baseUrl, avatarUrl),
  };
  if (notification.type === 'follow') return terminalJson({ ...notification, actor });
  const post = {
    ...notification.post,
    url: postUrl(baseUrl, notification.post),
    thumbUrl: absoluteUrl(baseUrl, notification.post.thumbUrl),
  };
  return terminalJson({ ...notification, actor, post });
}

async function watch(args: string[], env: Env, io: Io, signal: AbortSignal): Promise<number> {
  const { values } = parseArgs({ args, options: { json: { type: 'boolean', default: false } } });
  const config = await requireConfig(env, io);
  if (!config) return 1;
  const client = createPhotogramClient({ url: config.url, token: config.token });
  let start: Record<Stream, string | null>;
  try {
    start = await startingPoints(client);
  } catch (error: unknown) {
    io.err(`${explain(error, config.url)}\n`);
    return 1;
  }
  if (!values.json) {
    io.err(`Watching notifications for @${terminalText(config.username)}. Press Ctrl-C to stop.\n`);
  }
  return new Promise<number>((resolve) => {
    // Both streams count their ids from 1, so an id is only unique with its stream's name.
    const seen = new Set<string>();
    const connected: Record<Stream, boolean> = { upload: false, activity: false };
    let lost = false;
    const subscriptions: Array<{ unsubscribe(): void }> = [];
    const stop = (code: number) => {
      for (const subscription of subscriptions) subscription.unsubscribe();
      resolve(code);
    };
    const handlers = (stream: Stream) => ({
      onData: ({ id, data }: { id: string; data: Notification }) => {
        // The server sends each event once; this guards the terminal against any server.
        if (seen.has(`${stream}:${id}`) || id === start[stream]) return;
        seen.add(`${stream}:${id}`);
        if (values.json) {
          io.out(`${notificationJson(config.url, data)}\n`);
        } else {
          const { line, url } = describe(config.url, data);
          io.out(`${line}\n  ${url}\n`);
        }
      },
      onConnectionStateChange: (state: { state: string }) => {
        if (state.state === 'pending') {
          connected[stream] = true;
          if (lost && connected.upload && connected.activity) {
            lost = false;
            io.err('Connected again.\n');
          }
        } else if (state.state === 'connecting' && connected[stream]) {
          connected[stream] = false;
          if (!lost) {
            lost = true;
            io.err('Connection lost; reconnecting…\n');
          }
        }
      },
      onError: (error: unknown) => {
        io.err(`${explain(error, config.url)}\n`);
        stop(1);
      },
    });
    subscriptions.push(
      client.notifications.onUpload.subscribe({ lastEventId: start.upload }, handlers('upload')),
      client.notifications.onActivity.subscribe(
        { lastEventId: start.activity },
        handlers('activity'),
      ),
    );
    signal.addEventListener('abort', () => stop(0));
  });
}

async function feed(args: string[], env: Env, io: Io): Promise<number> {
  const { values } = parseArgs({ args, options: { limit: { type: 'string', default: '10' } } });
  const limit = Number(values.limit);
  if (!Number.isInteger(limit) || limit < 1 || limit > 100) {
    io.err('--limit must be a whole number from 1 to 100\n');
    return 2;
  }
  const config = await requireConfig(env, io);
  if (!config) return 1;
  const client = createPhotogramClient({ url: config.url, token: config.token });
  try {
    const page = await client.feed.list.query({ limit });
    if (page.items.length === 0)
      io.out('Your feed is empty. Follow people to see their photos here.\n');
    for (const post of page.items) {
      io.out(`${person(post.author)} · ${post.createdAt.toLocaleString()}\n`);
      if (post.caption) io.out(`  ${terminalText(post.caption)}\n`);
      io.out(`  ${terminalText(absoluteUrl(config.url, `/p/${post.id}`))}\n\n`);
    }
    return 0;
  } catch (error: unknown) {
    io.err(`${explain(error, config.url)}\n`);
    return 1;
  }
}

type NotificationGroup = RouterOutputs['notifications']['groups']['items'][number];

/** A group's sentence ("@alice, @bob and 3 others liked your post") and its page, if one. */
function describeInboxGroup(
  baseUrl: string,
  group: NotificationGroup,
): { line: string; url: string | null } {
  const said = terminalText(describeGroup(group));
  const written =
    group.comment?.body ??
    (group.type === 'mention' || group.type === 'upload' ? group.post?.caption : '');
  const line = written
    ? `${said}${group.type === 'upload' ? ' — ' : ': '}${terminalText(written)}`
    : said;
  if (group.post) return { line, url: terminalText(postUrl(baseUrl, group.post)) };
  const [only] = group.sampleActors;
  return {
    line,
    url: only && group.actorCount === 1 ? terminalText(profileUrl(baseUrl, only)) : null,
  };
}

/** A group as `inbox --grouped --json` prints it, its addresses absolute like `watch`'s. */
function groupJson(baseUrl: string, group: NotificationGroup): string {
  const sampleActors = group.sampleActors.map((actor) => ({
    ...actor,
    avatarUrl: actor.avatarUrl === null ? null : absoluteUrl(baseUrl, actor.avatarUrl),
  }));
  const post = group.post && {
    ...group.post,
    url: postUrl(baseUrl, group.post),
    thumbUrl: absoluteUrl(baseUrl, group.post.thumbUrl),
  };
  return terminalJson({ ...group, sampleActors, post });
}

async function inbox(args: string[], env: Env, io: Io): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      limit: { type: 'string', default: '20' },
      grouped: { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
    },
  });
  const limit = Number(values.limit);
  if (!Number.isInteger(limit) || limit < 1 || limit > 100) {
    io.err('--limit must be a whole number from 1 to 100\n');
    return 2;
  }
  const config = await requireConfig(env, io);
  if (!config) return 1;
  const client = createPhotogramClient({ url: config.url, token: config.token });
  // Unread rows are marked as the web app's dots are; the first line of each is the sentence.
  const entry = (read: boolean, line: string, when: Date, url: string | null) =>
    `${read ? '  ' : '• '}${line}\n    ${when.toLocaleString()}${url ? ` · ${url}` : ''}\n`;
  try {
    if (values.grouped) {
      const page = await client.notifications.groups.query({ limit });
      if (page.items.length === 0 && !values.json) io.out('No notifications yet.\n');
      for (const group of page.items) {
        if (values.json) {
          io.out(`${groupJson(config.url, group)}\n`);
        } else {
          const { line, url } = describeInboxGroup(config.url, group);
          io.out(entry(group.read, line, group.latestAt, url));
        }
      }
    } else {
      const page = await client.notifications.list.query({ limit });
      if (page.items.length === 0 && !values.json) io.out('No notifications yet.\n');
      for (const notification of page.items) {
        if (values.json) {
          io.out(`${notificationJson(config.url, notification)}\n`);
        } else {
          const { line, url } = describe(config.url, notification);
          io.out(entry(notification.read, line, notification.createdAt, url));
        }
      }
    }
    return 0;
  } catch (error: unknown) {
    io.err(`${explain(error, config.url)}\n`);
    return 1;
  }
}

async function logout(env: Env, io: Io): Promise<number> {
  const path = configPath(env);
  const config = await readConfig(path);
  if (!config) {
    io.out('You were not signed in.\n');
    return 0;
  }
  const client = createPhotogramClient({ url: config.url, token: config.token });
  try {
    await client.auth.revokeToken.mutate({ tokenId: config.tokenId });
  } catch (error: unknown) {
    io.err(
      `The token could not be revoked on the server (${explain(error, config.url)}); forgetting it here anyway.\n`,
    );
  }
  await deleteConfig(path);
  io.out('Signed out; the token is revoked and forgotten.\n');
  return 0;
}

/** Runs one CLI command; resolves to the process exit code. */
export async function main(
  argv: string[],
  env: Env = process.env,
  io: Io = stdio,
): Promise<number> {
  const [command, ...args] = argv;
  const stop = new AbortController();
  process.once('SIGINT', () => stop.abort());
  try {
    switch (command) {
      case 'login':
        return await login(args, env, io);
      case 'upload':
        return await upload(args, env, io);
      case 'watch':
        return await watch(args, env, io, stop.signal);
      case 'feed':
        return await feed(args, env, io);
      case 'inbox':
        return await inbox(args, env, io);
      case 'logout':
        return await logout(env, io);
      case undefined:
      case 'help':
      case '--help':
      case '-h':
        io.out(`${usage}\n`);
        return 0;
      default:
        io.err(`Unknown command "${terminalText(command)}".\n\n${usage}\n`);
        return 2;
    }
  } catch (error: unknown) {
    io.err(`${terminalText(error instanceof Error ? error.message : String(error))}\n`);
    return 1;
  }
}
