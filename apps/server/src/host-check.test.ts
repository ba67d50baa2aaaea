import { request as httpRequest } from 'node:http';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { createHostCheck, hostName } from './host-check';
import { createTestClient, uniqueUsername } from './testing/client';
import { startTestServer, type TestServer } from './testing/server';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({
    publicOrigin: 'https://photos.example.com',
    allowedHosts: ['photogram.internal'],
  });
});
afterAll(async () => {
  await server?.close();
});

/** A request with a `Host` of our choosing, as a rebinding page's browser would send it. */
function send(
  path: string,
  options: { host: string; method?: string; headers?: Record<string, string>; body?: string },
): Promise<{ status: number; body: string }> {
  const url = new URL(server.url);
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      {
        host: url.hostname,
        port: url.port,
        path,
        method: options.method ?? 'GET',
        headers: { ...options.headers, host: options.host },
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          body += chunk;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on('error', reject);
    req.end(options.body);
  });
}

test('host names are compared without port, case or a final dot', () => {
  expect(hostName('LocalHost:3000')).toBe('localhost');
  expect(hostName('[::1]:3000')).toBe('[::1]');
  expect(hostName('photos.example.com.')).toBe('photos.example.com');
  const isOurs = createHostCheck({ publicOrigin: 'https://photos.example.com' });
  for (const host of [
    'localhost:3000',
    '127.0.0.1:8080',
    '[::1]:3000',
    'PHOTOS.example.com',
    '10.1.2.3',
  ]) {
    expect(isOurs(host), host).toBe(true);
  }
  for (const host of [
    'evil.example',
    'photos.example.com.evil.example',
    'localhost.evil.example',
  ]) {
    expect(isOurs(host), host).toBe(false);
  }
});

test('a forged Host with a matching Origin (DNS rebinding) gets 421, and changes nothing', async () => {
  const port = new URL(server.url).port;
  const host = `rebind.evil.example:${port}`;
  const signUp = await send('/trpc/auth.signUp', {
    host,
    method: 'POST',
    headers: { 'content-type': 'application/json', origin: `http://${host}` },
    body: JSON.stringify({
      json: { username: uniqueUsername('rebound'), password: 'password123' },
    }),
  });
  expect(signUp.status).toBe(421);
  expect(signUp.body).toBe(
    'This server does not answer for that host name. Check the address you typed.\n',
  );
  for (const path of ['/', '/trpc/auth.me', '/healthz', '/media/x']) {
    expect((await send(path, { host })).status, path).toBe(421);
  }
});

test('our own names are served: PUBLIC_ORIGIN’s, ALLOWED_HOSTS, localhost and IP addresses, any port', async () => {
  const port = new URL(server.url).port;
  for (const host of [
    'photos.example.com',
    'photogram.internal:8443',
    `localhost:${port}`,
    `127.0.0.1:${port}`,
    `[::1]:${port}`,
    '10.0.0.5',
  ]) {
    expect((await send('/livez', { host })).status, host).toBe(200);
  }
  // And the client, which uses the listen address, works as ever.
  const { client } = createTestClient(server.url);
  await client.auth.signUp.mutate({ username: uniqueUsername('home'), password: 'password123' });
  expect(await client.auth.me.query()).not.toBeNull();
});
