import { get as httpGet } from 'node:http';
import { PostgresBus } from '@photogram/api';
import { afterAll, beforeAll, expect, test, vi } from 'vitest';
import { signUpPerson } from './testing/client';
import { testDatabase } from './testing/database';
import { solidImage, uploadForm } from './testing/images';
import { freePort, spawnServer } from './testing/process';
import { startTestServer, type TestServer } from './testing/server';
import { watchUploads } from './testing/subscriber';

const TOKEN = 'metrics-token-for-tests-0123456789';
let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({ metrics: { token: TOKEN } });
});
afterAll(async () => {
  await server?.close();
});

/** A GET of /metrics with a `Host` header of our choosing (fetch will not send one). */
function statusWithHost(port: number, host: string): Promise<number | undefined> {
  return new Promise((resolve, reject) => {
    const request = httpGet({ host: '127.0.0.1', port, path: '/metrics', headers: { host } });
    request.on('response', (response) => {
      response.resume();
      resolve(response.statusCode);
    });
    request.on('error', reject);
  });
}

async function scrape(url: string, token = TOKEN): Promise<string> {
  const response = await fetch(`${url}/metrics`, { headers: { authorization: `Bearer ${token}` } });
  expect(response.status).toBe(200);
  return response.text();
}

/** The value of one sample (`name` or `name{labels}`) in a Prometheus text page. */
function sample(page: string, series: string): number {
  for (const line of page.split('\n')) {
    if (line.startsWith(`${series} `)) return Number(line.slice(series.length + 1));
  }
  throw new Error(`no sample ${series} in:\n${page}`);
}

/** Scrapes until `check` holds: the server sees a stream open or close a moment later. */
async function scrapeUntil(check: (page: string) => boolean, what: string): Promise<string> {
  return vi.waitFor(
    async () => {
      const page = await scrape(server.url);
      if (!check(page)) throw new Error(`timed out waiting for ${what}:\n${page}`);
      return page;
    },
    { timeout: 10_000, interval: 25 },
  );
}

test('/metrics without the token, or with another one, is refused with a sentence', async () => {
  const attempts: Record<string, string>[] = [
    {},
    { authorization: 'Bearer not-the-metrics-token-at-all' },
    { authorization: `Basic ${TOKEN}` },
    { authorization: `Bearer ${TOKEN}x` },
  ];
  for (const headers of attempts) {
    const response = await fetch(`${server.url}/metrics`, { headers });
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toBe('Bearer');
    const body: unknown = await response.json();
    expect(body).toEqual({ error: expect.stringMatching(/metrics token/) });
  }
});

test('with the token, /metrics is Prometheus text with every figure and the process ones', async () => {
  const response = await fetch(`${server.url}/metrics`, {
    headers: { authorization: `Bearer ${TOKEN}` },
  });
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  expect(response.headers.get('cache-control')).toBe('no-store');
  const page = await response.text();
  for (const name of [
    'photogram_event_streams_open',
    'photogram_event_stream_users',
    'photogram_http_connections_open',
    'photogram_uploads_in_flight',
    'photogram_decodes',
    'photogram_bus_connected',
    'photogram_fanout_seconds',
    'process_resident_memory_bytes',
    'nodejs_eventloop_lag_seconds',
  ]) {
    expect(page).toMatch(new RegExp(`^# TYPE ${name} `, 'm'));
  }
  expect(sample(page, 'photogram_bus_connected')).toBe(1);
  expect(sample(page, 'photogram_uploads_in_flight')).toBe(0);
  expect(sample(page, 'photogram_decodes{state="running"}')).toBe(0);
  // This scrape's own connection, at least.
  expect(sample(page, 'photogram_http_connections_open')).toBeGreaterThanOrEqual(1);
});

test('open streams are counted in total and per person, by bucket, and the API tells a person theirs', async () => {
  const [many, one] = await Promise.all([
    signUpPerson(server.url, 'tabs'),
    signUpPerson(server.url, 'single'),
  ]);
  const watches = [
    watchUploads(many.client),
    watchUploads(many.client),
    watchUploads(many.client),
    watchUploads(one.client),
  ];
  await Promise.all(watches.map((watch) => watch.started()));
  const page = await scrapeUntil(
    (text) => sample(text, 'photogram_event_streams_open') === 4,
    'four open streams',
  );
  expect(sample(page, 'photogram_event_stream_users{streams="1"}')).toBe(1);
  expect(sample(page, 'photogram_event_stream_users{streams="2"}')).toBe(0);
  expect(sample(page, 'photogram_event_stream_users{streams="3-5"}')).toBe(1);
  expect(sample(page, 'photogram_event_stream_users{streams="6+"}')).toBe(0);
  // No series names a person.
  expect(page).not.toContain(many.user.id);
  expect(page).not.toContain(many.user.username);
  expect(await many.client.notifications.streamCount.query()).toEqual({ open: 3 });
  expect(await one.client.notifications.streamCount.query()).toEqual({ open: 1 });

  for (const watch of watches) watch.stop();
  const after = await scrapeUntil(
    (text) => sample(text, 'photogram_event_streams_open') === 0,
    'the streams to close',
  );
  expect(sample(after, 'photogram_event_stream_users{streams="3-5"}')).toBe(0);
  expect(await many.client.notifications.streamCount.query()).toEqual({ open: 0 });
});

test('an upload to a connected follower adds to the fan-out latency histogram', async () => {
  const before = sample(await scrape(server.url), 'photogram_fanout_seconds_count');
  const [author, fan] = await Promise.all([
    signUpPerson(server.url, 'fanned'),
    signUpPerson(server.url, 'fanner'),
  ]);
  await fan.client.follows.follow.mutate({ userId: author.user.id });
  const watch = watchUploads(fan.client);
  await watch.started();
  const post = await author.client.posts.upload.mutate(uploadForm(await solidImage(16, 16)));
  await watch.forPost(post.id);
  watch.stop();
  const page = await scrape(server.url);
  expect(sample(page, 'photogram_fanout_seconds_count')).toBe(before + 1);
  expect(sample(page, 'photogram_fanout_seconds_bucket{le="+Inf"}')).toBe(before + 1);
});

test('through a postgres bus, the fan-out is timed from the commit carried in the NOTIFY', async () => {
  const database = await testDatabase();
  const busErrors: unknown[] = [];
  const bus = await PostgresBus.start({
    db: database.db,
    listen: database.listen,
    notify: database.notify,
    onError: (error) => busErrors.push(error),
  });
  const clustered = await startTestServer({ database, bus, metrics: { token: TOKEN } });
  try {
    const [author, fan] = await Promise.all([
      signUpPerson(clustered.url, 'pgauthor'),
      signUpPerson(clustered.url, 'pgfan'),
    ]);
    await fan.client.follows.follow.mutate({ userId: author.user.id });
    const watch = watchUploads(fan.client);
    await watch.started();
    const post = await author.client.posts.upload.mutate(uploadForm(await solidImage(16, 16)));
    await watch.forPost(post.id);
    watch.stop();
    const page = await scrape(clustered.url);
    expect(sample(page, 'photogram_bus_connected')).toBe(1);
    expect(sample(page, 'photogram_fanout_seconds_count')).toBe(1);
    expect(busErrors).toEqual([]);
  } finally {
    await clustered.close();
    await bus.close();
    await database.close();
  }
});

test('while the server drains for shutdown, /metrics still answers', async () => {
  const draining = await startTestServer({ metrics: { token: TOKEN } });
  try {
    expect(await draining.app.drain(1_000)).toBe(true);
    expect((await fetch(`${draining.url}/healthz`)).status).toBe(503);
    expect(sample(await scrape(draining.url), 'photogram_event_streams_open')).toBe(0);
  } finally {
    await draining.close();
  }
});

test('without METRICS_TOKEN or METRICS_PORT there are no metrics anywhere: /metrics is a 404', async () => {
  const plain = await startTestServer();
  try {
    expect(plain.app.metrics).toBeNull();
    const attempts: Record<string, string>[] = [{}, { authorization: `Bearer ${TOKEN}` }];
    for (const headers of attempts) {
      const response = await fetch(`${plain.url}/metrics`, { headers });
      expect(response.status).toBe(404);
      expect(await response.text()).not.toContain('photogram_');
    }
  } finally {
    await plain.close();
  }
});

test('METRICS_PORT serves the figures on 127.0.0.1 there, and not on the main port', async () => {
  const metricsPort = await freePort();
  const spawned = await spawnServer({ METRICS_PORT: String(metricsPort) });
  try {
    const response = await fetch(`http://127.0.0.1:${metricsPort}/metrics`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const page = await response.text();
    expect(sample(page, 'photogram_event_streams_open')).toBe(0);
    expect(page).toMatch(/^process_resident_memory_bytes \d+/m);
    expect((await fetch(`http://127.0.0.1:${metricsPort}/`)).status).toBe(404);
    // A page whose name was rebound to 127.0.0.1 is not answered.
    expect(await statusWithHost(metricsPort, 'attacker.example')).toBe(421);
    expect(await statusWithHost(metricsPort, `localhost:${metricsPort}`)).toBe(200);
    expect((await fetch(`${spawned.url}/metrics`)).status).toBe(404);
    // The second port closes with the first on SIGTERM: the process ends cleanly.
    expect(await spawned.stop()).toEqual({ code: 0, signal: null });
  } finally {
    if (spawned.alive) await spawned.stop();
  }
});
