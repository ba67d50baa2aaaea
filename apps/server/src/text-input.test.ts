import { TextMessages } from '@photogram/contracts';
import { posts } from '@photogram/db';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { z } from 'zod';
import { createTestClient, type Person, signUpPerson, uniqueUsername } from './testing/client';
import { solidImage, uploadForm } from './testing/images';
import { procedures, unwrapped } from './testing/procedures';
import { startTestServer, type TestServer } from './testing/server';

let server: TestServer;
let alice: Person;
let photo: Buffer;
beforeAll(async () => {
  server = await startTestServer();
  alice = await signUpPerson(server.url, 'alice');
  photo = await solidImage(64, 48);
});
afterAll(async () => {
  await server?.close();
});

/** What each probe puts inside an otherwise valid value. */
const hostile = {
  nul: '\u0000',
  bell: '\u0007',
  escape: '\u001b]0;pwned\u0007',
  bidi: '\u202e',
} as const;

type Client = Person['client'];

interface Probe {
  procedure: string;
  field: string;
  /**
   * The subject of the text rule's message ("Captions"), for fields people type;
   * null for ids and cursors, whose message is their own sentence.
   */
  subject: string | null;
  multiline?: boolean;
  /** Passwords are used as typed: only a NUL is refused. */
  exact?: boolean;
  /** Sent from a fresh cookie jar: a sign-up that succeeds must not replace Alice's session. */
  anonymous?: boolean;
  call(client: Client, bad: string): Promise<unknown>;
}

const id = (bad: string) => `abc${bad}`;
const number = (bad: string) => `1${bad}`;

const probes: Probe[] = [
  {
    procedure: 'auth.signUp',
    anonymous: true,
    field: 'username',
    subject: 'Usernames',
    call: (c, bad) => c.auth.signUp.mutate({ username: `new${bad}`, password: 'password123' }),
  },
  {
    procedure: 'auth.signUp',
    anonymous: true,
    field: 'password',
    subject: 'Passwords',
    exact: true,
    call: (c, bad) =>
      c.auth.signUp.mutate({ username: uniqueUsername('pw'), password: `password${bad}123` }),
  },
  {
    procedure: 'auth.signUp',
    anonymous: true,
    field: 'displayName',
    subject: 'Display names',
    call: (c, bad) =>
      c.auth.signUp.mutate({
        username: uniqueUsername('dn'),
        password: 'password123',
        displayName: `Eve${bad}`,
      }),
  },
  {
    procedure: 'auth.signIn',
    anonymous: true,
    field: 'username',
    subject: 'Usernames',
    call: (c, bad) => c.auth.signIn.mutate({ username: `alice${bad}`, password: 'password123' }),
  },
  {
    procedure: 'auth.signIn',
    anonymous: true,
    field: 'password',
    subject: 'Passwords',
    exact: true,
    call: (c, bad) =>
      c.auth.signIn.mutate({ username: alice.user.username, password: `password${bad}123` }),
  },
  {
    procedure: 'auth.createToken',
    field: 'name',
    subject: 'Token names',
    call: (c, bad) => c.auth.createToken.mutate({ name: `laptop${bad}` }),
  },
  {
    procedure: 'auth.revokeToken',
    field: 'tokenId',
    subject: null,
    call: (c, bad) => c.auth.revokeToken.mutate({ tokenId: id(bad) }),
  },
  {
    procedure: 'users.byUsername',
    field: 'username',
    subject: 'Usernames',
    call: (c, bad) => c.users.byUsername.query({ username: `alice${bad}` }),
  },
  {
    procedure: 'users.search',
    field: 'query',
    subject: 'Searches',
    call: (c, bad) => c.users.search.query({ query: `ali${bad}` }),
  },
  {
    procedure: 'users.updateProfile',
    field: 'displayName',
    subject: 'Display names',
    call: (c, bad) => c.users.updateProfile.mutate({ displayName: `Alice${bad}` }),
  },
  {
    procedure: 'users.updateProfile',
    field: 'bio',
    subject: 'Bios',
    multiline: true,
    call: (c, bad) => c.users.updateProfile.mutate({ bio: `Hello${bad}` }),
  },
  ...(['follows.follow', 'follows.unfollow'] as const).map(
    (procedure): Probe => ({
      procedure,
      field: 'userId',
      subject: null,
      call: (c, bad) =>
        (procedure === 'follows.follow' ? c.follows.follow : c.follows.unfollow).mutate({
          userId: id(bad),
        }),
    }),
  ),
  ...(['follows.followers', 'follows.following'] as const).flatMap((procedure): Probe[] => {
    const list = (c: Client) =>
      procedure === 'follows.followers' ? c.follows.followers : c.follows.following;
    return [
      {
        procedure,
        field: 'userId',
        subject: null,
        call: (c, bad) => list(c).query({ userId: id(bad) }),
      },
      {
        procedure,
        field: 'cursor',
        subject: null,
        call: (c, bad) => list(c).query({ userId: alice.user.id, cursor: number(bad) }),
      },
    ];
  }),
  {
    procedure: 'posts.upload',
    field: 'caption',
    subject: 'Captions',
    multiline: true,
    call: (c, bad) => c.posts.upload.mutate(uploadForm(photo, { caption: `Sunset${bad}` })),
  },
  ...(['posts.byId', 'posts.delete'] as const).map(
    (procedure): Probe => ({
      procedure,
      field: 'postId',
      subject: null,
      call: (c, bad) =>
        procedure === 'posts.byId'
          ? c.posts.byId.query({ postId: number(bad) })
          : c.posts.delete.mutate({ postId: number(bad) }),
    }),
  ),
  {
    procedure: 'posts.upload',
    field: 'altText',
    subject: 'Alt text',
    call: (c, bad) => {
      const form = uploadForm(photo, { caption: 'Sunset' });
      form.set('altText', `A red sky${bad}`);
      return c.posts.upload.mutate(form);
    },
  },
  ...(['posts.like', 'posts.unlike', 'posts.likers'] as const).map(
    (procedure): Probe => ({
      procedure,
      field: 'postId',
      subject: null,
      call: (c, bad) =>
        procedure === 'posts.likers'
          ? c.posts.likers.query({ postId: number(bad) })
          : (procedure === 'posts.like' ? c.posts.like : c.posts.unlike).mutate({
              postId: number(bad),
            }),
    }),
  ),
  {
    procedure: 'posts.likers',
    field: 'cursor',
    subject: null,
    call: (c, bad) => c.posts.likers.query({ postId: '1', cursor: number(bad) }),
  },
  {
    procedure: 'comments.list',
    field: 'postId',
    subject: null,
    call: (c, bad) => c.comments.list.query({ postId: number(bad) }),
  },
  {
    procedure: 'comments.list',
    field: 'cursor',
    subject: null,
    call: (c, bad) => c.comments.list.query({ postId: '1', cursor: number(bad) }),
  },
  {
    procedure: 'comments.add',
    field: 'postId',
    subject: null,
    call: (c, bad) => c.comments.add.mutate({ postId: number(bad), body: 'Nice' }),
  },
  {
    procedure: 'comments.add',
    field: 'body',
    subject: 'Comments',
    multiline: true,
    call: (c, bad) => c.comments.add.mutate({ postId: '1', body: `Nice${bad}` }),
  },
  {
    procedure: 'comments.delete',
    field: 'commentId',
    subject: null,
    call: (c, bad) => c.comments.delete.mutate({ commentId: number(bad) }),
  },
  {
    procedure: 'follows.setNotify',
    field: 'userId',
    subject: null,
    call: (c, bad) => c.follows.setNotify.mutate({ userId: id(bad), notify: false }),
  },
  {
    procedure: 'posts.byUser',
    field: 'userId',
    subject: null,
    call: (c, bad) => c.posts.byUser.query({ userId: id(bad) }),
  },
  {
    procedure: 'posts.byUser',
    field: 'cursor',
    subject: null,
    call: (c, bad) => c.posts.byUser.query({ userId: alice.user.id, cursor: number(bad) }),
  },
  {
    procedure: 'feed.list',
    field: 'cursor',
    subject: null,
    call: (c, bad) => c.feed.list.query({ cursor: number(bad) }),
  },
  {
    procedure: 'notifications.list',
    field: 'cursor',
    subject: null,
    call: (c, bad) => c.notifications.list.query({ cursor: number(bad) }),
  },
  {
    procedure: 'notifications.markRead',
    field: 'ids[]',
    subject: null,
    call: (c, bad) => c.notifications.markRead.mutate({ ids: [number(bad)] }),
  },
  {
    procedure: 'notifications.groups',
    field: 'cursor',
    subject: null,
    call: (c, bad) => c.notifications.groups.query({ cursor: number(bad) }),
  },
  {
    procedure: 'notifications.markGroupRead',
    field: 'key',
    subject: null,
    call: (c, bad) => c.notifications.markGroupRead.mutate({ key: `n:${number(bad)}` }),
  },
];

/** The paths of the string fields in a procedure's input schema, e.g. `ids[]`, `caption`. */
function stringFields(wrapped: unknown, path = ''): string[] {
  const schema = unwrapped(wrapped);
  if (schema instanceof z.ZodString) return [path];
  if (schema instanceof z.ZodObject) {
    return Object.entries(schema.shape).flatMap(([key, field]) =>
      stringFields(field, path ? `${path}.${key}` : key),
    );
  }
  if (schema instanceof z.ZodArray) return stringFields(schema.element, `${path}[]`);
  // `posts.upload` preprocesses FormData into its object.
  if (schema instanceof z.ZodPipe)
    return [...stringFields(schema.in, path), ...stringFields(schema.out, path)];
  return [];
}

function procedureStringFields(): string[] {
  return procedures().flatMap(({ path, inputs }) =>
    inputs.flatMap((input) => stringFields(input).map((field) => `${path} ${field}`)),
  );
}

/** How a call ended: its HTTP status and message (200 for a call that succeeded). */
async function outcome(promise: Promise<unknown>): Promise<{ status: number; message: string }> {
  try {
    await promise;
    return { status: 200, message: '' };
  } catch (error: unknown) {
    if (error instanceof Error && 'data' in error) {
      const data = z.object({ httpStatus: z.number() }).safeParse(error.data);
      if (data.success) return { status: data.data.httpStatus, message: error.message };
    }
    throw error;
  }
}

test('the probes below cover every string field of every procedure input', () => {
  const covered = [
    ...probes.map((probe) => `${probe.procedure} ${probe.field}`),
    'notifications.onUpload lastEventId',
    // The same schema as onUpload's (OnActivityInput = OnUploadInput), probed there.
    'notifications.onActivity lastEventId',
  ];
  expect([...new Set(covered)].sort()).toEqual([...new Set(procedureStringFields())].sort());
});

test('a NUL, a control character or a bidi override in any string field is a 4xx with a sentence, never a 500', async () => {
  const results: string[] = [];
  for (const probe of probes) {
    for (const [kind, bad] of Object.entries(hostile)) {
      const client = probe.anonymous ? createTestClient(server.url).client : alice.client;
      const { status, message } = await outcome(probe.call(client, bad));
      const where = `${probe.procedure} ${probe.field} with ${kind}`;
      if (probe.exact && kind !== 'nul') {
        // A password is used exactly as typed: refusing a character in it would lock out
        // whoever chose it. It must still never break the server.
        results.push(`${where}: ${status < 500 ? 'no 5xx' : `${status} ${message}`}`);
        continue;
      }
      results.push(`${where}: ${status >= 400 && status < 500 ? '4xx' : `${status} ${message}`}`);
      if (probe.subject === null) {
        expect(message, where).toMatch(/^That [a-z ]+ is not valid\.$/);
      } else if (probe.exact) {
        expect(message, where).toBe(`${probe.subject} can't contain the NUL character.`);
      } else {
        expect(message, where).toBe(
          kind === 'bidi'
            ? TextMessages.bidi(probe.subject)
            : TextMessages.control(probe.subject, probe.multiline),
        );
      }
    }
  }
  // One list, so that a failure shows every field that went wrong at once.
  expect(results.filter((line) => !/: (4xx|no 5xx)$/.test(line))).toEqual([]);
});

test('a NUL, a control character or a bidi override in the live stream’s lastEventId ends it with a 400', async () => {
  for (const [kind, bad] of Object.entries(hostile)) {
    // A stream has already answered 200 when its input is checked, so the refusal comes as
    // the stream's error event; the client reports it with its HTTP status and stops.
    const ended = new Promise<unknown>((resolve) => {
      const subscription = alice.client.notifications.onUpload.subscribe(
        { lastEventId: number(bad) },
        {
          onError: (error: unknown) => {
            subscription.unsubscribe();
            resolve(error);
          },
        },
      );
    });
    const { status, message } = await outcome(Promise.reject(await ended));
    expect({ kind, status, message }).toEqual({
      kind,
      status: 400,
      message: 'That event id is not valid.',
    });
  }
});

test('a caption is stored trimmed and NFC-normalised, with its line breaks', async () => {
  const post = await alice.client.posts.upload.mutate(
    uploadForm(photo, { caption: '  Cafe\u0301\r\nau lait ' }),
  );
  expect(post.caption).toBe('Café\nau lait');
  const [row] = await server.database.db
    .select({ caption: posts.caption })
    .from(posts)
    .where(eq(posts.id, Number(post.id)));
  expect(row?.caption).toBe('Café\nau lait');
  expect((await alice.client.posts.byId.query({ postId: post.id })).caption).toBe('Café\nau lait');
});

test('names, bios and searches are trimmed and NFC-normalised the same way', async () => {
  const zoe = createTestClient(server.url);
  const username = uniqueUsername('zoe');
  await zoe.client.auth.signUp.mutate({
    username: ` ${username.toUpperCase()} `,
    password: 'password123',
    displayName: ' Zoe\u0308 ',
  });
  const profile = await zoe.client.users.updateProfile.mutate({ bio: ' First line\nsecond\t ' });
  expect(profile).toMatchObject({ username, displayName: 'Zoë', bio: 'First line\nsecond' });
  // The decomposed spelling finds the composed name.
  const found = await zoe.client.users.search.query({ query: ' Zoe\u0308' });
  expect(found.items.map((item) => item.username)).toContain(username);
});
