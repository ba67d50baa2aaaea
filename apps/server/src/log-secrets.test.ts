import { createPhotogramClient } from '@photogram/client';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { serializeError } from './log-redaction';
import { createTestClient, failure, uniqueUsername } from './testing/client';
import { capturedLog, startTestServer, type TestServer } from './testing/server';
import { watchUploads } from './testing/subscriber';

const captured = capturedLog();
const logLines = captured.lines;
let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({ logger: captured.logger });
  // A rule only this database has, so that a sign-up's insert fails the way a real
  // database fault would (not as the unique violation the service turns into a 409).
  await server.database.db.execute(
    sql`alter table users add constraint log_test_refuses_doomed check (username not like 'doomed%')`,
  );
});
afterAll(async () => {
  await server?.close();
});

/** Every secret the test handles, to be looked for in the log afterwards. */
const secrets = new Set<string>();

test('a sign-up whose insert fails is logged without the SQL parameters or the row', async () => {
  const password = 'doomed secret password';
  secrets.add(password);
  const { client } = createTestClient(server.url);
  const error = await failure(
    client.auth.signUp.mutate({ username: uniqueUsername('doomed'), password }),
  );
  expect(error.data?.httpStatus).toBe(500);

  const logged = logLines.filter((line) => line.includes('log_test_refuses_doomed'));
  // It was logged (the statement and the constraint, for whoever mends it)…
  expect(logged.length).toBeGreaterThan(0);
  expect(logged.join('\n')).toContain('insert into \\"users\\"');
  // …with none of the values: no hash, no password, no "Failing row contains".
  for (const line of logged) {
    expect(line).not.toContain('$argon2id$');
    expect(line).not.toContain(password);
    expect(line).not.toMatch(/params|parameters|Failing row/i);
  }
});

test('credentials of a whole session (sign-up, sign-in, tokens, streams, sign-out) never reach the log', async () => {
  const username = uniqueUsername('quiet');
  const password = 'quiet secret password';
  secrets.add(password);
  const person = createTestClient(server.url);
  await person.client.auth.signUp.mutate({ username, password });
  secrets.add(person.session());
  await failure(person.client.auth.signIn.mutate({ username, password: 'wrong secret guess' }));
  secrets.add('wrong secret guess');
  await person.client.auth.signIn.mutate({ username, password });
  secrets.add(person.session());

  const { token } = await person.client.auth.createToken.mutate({ name: 'log test' });
  secrets.add(token);
  const app = createPhotogramClient({ url: server.url, token });
  expect(await app.auth.me.query()).toMatchObject({ username });
  await fetch(`${server.url}/trpc/auth.me`, { headers: { authorization: `bearer ${token}` } });
  await fetch(`${server.url}/trpc/auth.me`, { headers: { authorization: 'Bearer pgt_mangled' } });
  secrets.add('pgt_mangled');
  const watch = watchUploads(app);
  await watch.started();
  watch.stop();
  await person.client.auth.signOut.mutate();

  expect(logLines.length).toBeGreaterThan(20);
  const log = logLines.join('\n');
  for (const secret of secrets) {
    expect(secret.length).toBeGreaterThan(8);
    expect(log.includes(secret), `a secret in the log: ${secret.slice(0, 6)}…`).toBe(false);
  }
  expect(log).not.toContain('$argon2id$');
  expect(log).not.toMatch(/pgt_[A-Za-z0-9_-]{8,}/);
  expect(log).not.toMatch(/"(authorization|cookie|set-cookie)":"(?!\[Redacted\])/i);
});

test('the err serializer keeps the type, message, code and causes and drops every other field', () => {
  const pg = Object.assign(
    new Error('new row for relation "users" violates check constraint "c"'),
    {
      code: '23514',
      constraint: 'c',
      detail: 'Failing row contains (u1, alice, $argon2id$v=19$HASHVALUE).',
      parameters: ['u1', 'alice', '$argon2id$v=19$HASHVALUE'],
    },
  );
  const drizzle = Object.assign(
    new Error(
      'Failed query: insert into "users" values ($1, $2, $3)\nparams: u1,alice,$argon2id$v=19$HASHVALUE',
    ),
    { query: 'insert into "users" values ($1, $2, $3)', params: ['u1'], cause: pg },
  );
  const safe = serializeError(drizzle);
  expect(safe).toMatchObject({
    type: 'Error',
    message: 'Failed query: insert into "users" values ($1, $2, $3)',
    cause: { message: pg.message, code: '23514', constraint: 'c' },
  });
  expect(JSON.stringify(safe)).not.toContain('HASHVALUE');
  expect(JSON.stringify(safe)).not.toContain('$argon2id$');
});
