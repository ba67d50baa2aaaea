import { PostgresBus } from '@photogram/api';
import { expect, test } from 'vitest';
import { testDatabase } from './testing/database';
import { startTestServer } from './testing/server';

async function get(url: string) {
  const response = await fetch(url);
  return {
    status: response.status,
    cacheControl: response.headers.get('cache-control'),
    body: await response.json(),
  };
}

test('/healthz and /livez answer 200 ok while the database and the bus answer', async () => {
  const server = await startTestServer();
  try {
    expect(await get(`${server.url}/healthz`)).toEqual({
      status: 200,
      cacheControl: 'no-store',
      body: { status: 'ok' },
    });
    expect(await get(`${server.url}/livez`)).toMatchObject({ status: 200, body: { status: 'ok' } });
  } finally {
    await server.close();
  }
});

test('/healthz answers 503 naming the database while it is down; /livez still answers 200', async () => {
  const database = await testDatabase();
  const server = await startTestServer({ database });
  try {
    expect((await get(`${server.url}/healthz`)).status).toBe(200);
    // Every connection gone for good: each query now fails at once.
    await database.close();
    expect(await get(`${server.url}/healthz`)).toMatchObject({
      status: 503,
      body: { status: 'unavailable', down: ['database'] },
    });
    expect(await get(`${server.url}/livez`)).toMatchObject({ status: 200, body: { status: 'ok' } });
  } finally {
    await server.close();
  }
});

test('/healthz answers 503 naming the bus while its LISTEN connection is down', async () => {
  const database = await testDatabase();
  const bus = await PostgresBus.start({
    db: database.db,
    listen: database.listen,
    notify: database.notify,
    headCheckIntervalMs: 0,
    onError: () => {},
  });
  const server = await startTestServer({ database, bus });
  try {
    expect(await get(`${server.url}/healthz`)).toMatchObject({
      status: 200,
      body: { status: 'ok' },
    });
    // Closing the bus closes its LISTEN connection, and it stays closed.
    await bus.close();
    expect(await get(`${server.url}/healthz`)).toMatchObject({
      status: 503,
      body: { status: 'unavailable', down: ['bus'] },
    });
  } finally {
    await server.close();
    await database.close();
  }
});
