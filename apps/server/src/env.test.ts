import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { expect, test } from 'vitest';
import { EnvError, parseEnv } from './env';

test('defaults give a server on 127.0.0.1:3000 with PGlite under ./.data', () => {
  const env = parseEnv({}, '/srv/photogram');
  expect(env).toMatchObject({
    PORT: 3000,
    HOST: '127.0.0.1',
    DATA_DIR: '/srv/photogram/.data',
    MEDIA_DIR: '/srv/photogram/.data/media',
    BUS: 'memory',
    BUS_CHECK_INTERVAL_MS: 10_000,
    SSE_TRANSPORT: 'trpc-sse',
    MAX_UPLOAD_BYTES: 10 * 1024 * 1024,
    MAX_CONNECTIONS_PER_ADDRESS: 256,
    MAX_STREAMS_PER_USER: 32,
    MAX_STREAMS_PER_ADDRESS: 256,
    UPLOADS_PER_USER: 3,
    UPLOADS_PER_ADDRESS: 6,
    UPLOADS_TOTAL: 12,
    DECODE_CONCURRENCY: 2,
    DECODE_QUEUE: 16,
    TRUST_PROXY: false,
    ALLOWED_HOSTS: [],
    LOG_LEVEL: 'info',
  });
  expect(env.DATABASE_URL).toBeUndefined();
});

test('MAX_CONNECTIONS_PER_ADDRESS of 0 turns the cap off', () => {
  expect(parseEnv({ MAX_CONNECTIONS_PER_ADDRESS: '0' }).MAX_CONNECTIONS_PER_ADDRESS).toBe(0);
});

test('PUBLIC_ORIGIN is reduced to its origin and empty values count as unset', () => {
  const env = parseEnv({ PUBLIC_ORIGIN: 'https://photos.example.com/app/', PORT: '' }, '/');
  expect(env.PUBLIC_ORIGIN).toBe('https://photos.example.com');
  expect(env.PORT).toBe(3000);
});

test.each([
  ['PORT', 'abc'],
  ['PORT', '70000'],
  ['DATABASE_URL', 'mysql://localhost/db'],
  ['PUBLIC_ORIGIN', 'photos.example.com'],
  ['BUS', 'kafka'],
  ['BUS_CHECK_INTERVAL_MS', '-1'],
  ['SSE_TRANSPORT', 'websocket'],
  ['MAX_UPLOAD_BYTES', '-5'],
  ['MAX_CONNECTIONS_PER_ADDRESS', '-1'],
  ['MAX_CONNECTIONS_PER_ADDRESS', 'lots'],
  ['MAX_STREAMS_PER_USER', '1.5'],
  ['MAX_STREAMS_PER_ADDRESS', '-2'],
  ['UPLOADS_PER_USER', '0'],
  ['UPLOADS_TOTAL', 'many'],
  ['DECODE_CONCURRENCY', '0'],
  ['TRUST_PROXY', '2'],
  ['ALLOWED_HOSTS', 'a b'],
  ['LOG_LEVEL', 'loud'],
  ['METRICS_PORT', '0'],
  ['METRICS_PORT', 'metrics'],
  ['METRICS_TOKEN', 'short'],
  ['METRICS_TOKEN', 'sixteen or more but with spaces'],
])('a bad %s (%s) is refused with a message naming it', (name, value) => {
  expect(() => parseEnv({ [name]: value })).toThrow(EnvError);
  expect(() => parseEnv({ [name]: value })).toThrow(new RegExp(`\\b${name}\\b`));
});

test('metrics are off unless METRICS_PORT or METRICS_TOKEN is set', () => {
  const env = parseEnv({});
  expect(env.METRICS_PORT).toBeUndefined();
  expect(env.METRICS_TOKEN).toBeUndefined();
  const token = 'a'.repeat(32);
  expect(parseEnv({ METRICS_PORT: '9464', METRICS_TOKEN: token })).toMatchObject({
    METRICS_PORT: 9464,
    METRICS_TOKEN: token,
  });
});

test('METRICS_PORT may not be PORT', () => {
  expect(() => parseEnv({ PORT: '9464', METRICS_PORT: '9464' })).toThrow(
    /METRICS_PORT is the same as PORT/,
  );
});

test('a bad METRICS_TOKEN is refused without the token itself in the message', () => {
  const secret = 'hunter2 hunter2 hunter2';
  let message = '';
  try {
    parseEnv({ METRICS_TOKEN: secret });
  } catch (error: unknown) {
    message = error instanceof Error ? error.message : String(error);
  }
  expect(message).toMatch(/METRICS_TOKEN must be/);
  expect(message).not.toContain('hunter2');
});

test('BUS=postgres without DATABASE_URL is refused', () => {
  expect(() => parseEnv({ BUS: 'postgres' })).toThrow(
    /BUS is "postgres", which needs DATABASE_URL/,
  );
  expect(parseEnv({ BUS: 'postgres', DATABASE_URL: 'postgres://localhost/x' }).BUS).toBe(
    'postgres',
  );
});

test('a bad value stops start-up before anything opens, naming the variable', async () => {
  const main = fileURLToPath(new URL('./main.ts', import.meta.url));
  const child = spawn(process.execPath, ['--import', 'tsx', main], {
    env: { ...process.env, PORT: 'not-a-port', DATABASE_URL: '' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  expect(code).toBe(1);
  expect(stderr).toContain('Invalid configuration');
  expect(stderr).toMatch(/PORT .*\(got "not-a-port"\)/);
  expect(stderr).not.toContain('    at ');
});
