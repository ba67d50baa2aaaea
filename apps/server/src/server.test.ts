import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseSetCookie } from 'set-cookie-parser';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { startTestServer, type TestServer } from './testing/server';

let webRoot: string;
let server: TestServer;
beforeAll(async () => {
  webRoot = await mkdtemp(join(tmpdir(), 'photogram-web-'));
  await writeFile(join(webRoot, 'index.html'), '<!doctype html><title>Photogram</title>');
  server = await startTestServer({ webRoot });
});
afterAll(async () => {
  await server?.close();
  await rm(webRoot, { recursive: true, force: true });
});

test('/healthz answers ok once the database answers', async () => {
  const response = await fetch(`${server.url}/healthz`);
  expect(response.status).toBe(200);
  expect(await response.json()).toEqual({ status: 'ok' });
});

test('responses carry security headers and a CSP that fits the SPA', async () => {
  const response = await fetch(`${server.url}/`, { headers: { accept: 'text/html' } });
  expect(response.headers.get('x-content-type-options')).toBe('nosniff');
  expect(response.headers.get('x-frame-options')).toBe('SAMEORIGIN');
  const csp = response.headers.get('content-security-policy') ?? '';
  expect(csp).toContain("default-src 'self'");
  expect(csp).toContain("script-src 'self'");
  expect(csp).toContain("frame-ancestors 'none'");
  expect(csp).not.toContain('upgrade-insecure-requests');
  expect(response.headers.get('strict-transport-security')).toBeNull();
});

test('client-side routes fall back to index.html, revalidated on every load', async () => {
  const response = await fetch(`${server.url}/u/alice`, { headers: { accept: 'text/html' } });
  expect(response.status).toBe(200);
  expect(response.headers.get('cache-control')).toBe('no-cache');
  expect(await response.text()).toContain('<title>Photogram</title>');
});

test('any GET of an app path is the SPA, whatever the Accept header says', async () => {
  for (const path of ['/', '/u/alice', '/p/123?x=1', '/settings/tokens']) {
    for (const accept of [undefined, '*/*', 'application/json']) {
      const response = await fetch(`${server.url}${path}`, {
        headers: accept ? { accept } : {},
      });
      expect(response.status, `${path} with Accept ${accept}`).toBe(200);
      expect(response.headers.get('content-type')).toMatch(/^text\/html/);
      expect(await response.text()).toContain('<title>Photogram</title>');
    }
  }
});

test('unknown API, media and asset paths are a 404, not the SPA', async () => {
  for (const path of [
    '/trpc/nope',
    '/trpc',
    '/media/nope.webp',
    '/assets/missing-abc123.js',
    '/assets/',
  ]) {
    const response = await fetch(`${server.url}${path}`, { headers: { accept: 'text/html' } });
    expect(response.status, path).toBe(404);
    expect(response.headers.get('content-type'), path).not.toMatch(/^text\/html/);
  }
  const post = await fetch(`${server.url}/nope`, { method: 'POST', body: '' });
  expect(post.status).toBe(404);
  expect(await post.json()).toEqual({ error: 'There is nothing at this address.' });
});

test('/healthz and /livez are never the SPA', async () => {
  for (const path of ['/healthz', '/livez']) {
    const response = await fetch(`${server.url}${path}`, { headers: { accept: 'text/html' } });
    expect(response.headers.get('content-type'), path).toMatch(/^application\/json/);
  }
});

test('behind an https PUBLIC_ORIGIN cookies are Secure and HSTS is on', async () => {
  const secure = await startTestServer({ publicOrigin: 'https://photos.example.com' });
  try {
    const response = await fetch(`${secure.url}/trpc/auth.signUp`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: 'https://photos.example.com' },
      body: JSON.stringify({ json: { username: 'secure_person', password: 'password123' } }),
    });
    expect(response.status).toBe(200);
    expect(parseSetCookie(response)).toMatchObject([{ secure: true }]);
    expect(response.headers.get('strict-transport-security')).toContain('max-age=');
  } finally {
    await secure.close();
  }
});
