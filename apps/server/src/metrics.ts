import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { DecodePool, NotificationBus, StreamCaps } from '@photogram/api';
import type { FastifyInstance } from 'fastify';
import { collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import { createHostCheck } from './host-check';
import type { UploadGate } from './upload-gate';

/** What the figures are read from: the parts `buildServer` already holds. */
export interface MetricSources {
  streamCaps: StreamCaps;
  /** The main port's HTTP server (Fastify's `app.server`). */
  server: Server;
  uploadGate: UploadGate;
  decodes: DecodePool;
  bus: NotificationBus;
}

/**
 * The buckets of "people holding N streams". One label value per person would be one
 * time series per person: unbounded cardinality, which Prometheus keeps in memory for
 * every series it has ever seen, and a list of who is online to whoever reads /metrics.
 * A handful of fixed buckets answers the operator's question ("does a browser hold one
 * stream, or one per tab?") at a constant cost.
 */
const STREAMS_PER_USER_BUCKETS = [
  { label: '1', min: 1, max: 1 },
  { label: '2', min: 2, max: 2 },
  { label: '3-5', min: 3, max: 5 },
  { label: '6+', min: 6, max: Number.POSITIVE_INFINITY },
] as const;

/**
 * Commit to delivery, in seconds: a few milliseconds in one process, tens across
 * processes; the upper buckets catch a fan-out that stalls behind a slow database.
 */
const FANOUT_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export interface Metrics {
  readonly contentType: string;
  /** The figures now, in Prometheus text format. */
  render(): Promise<string>;
  /** Stops observing the bus; the registry is dropped with the server. */
  close(): void;
}

/**
 * This server's figures on a registry of its own, not prom-client's global one: several
 * servers in one process (the tests) would otherwise share, and fight over, the names.
 * Gauges are read when scraped rather than kept up to date, so serving costs nothing
 * between scrapes.
 */
export function createMetrics(sources: MetricSources): Metrics {
  const registry = new Registry();
  // RSS, heap, event loop lag, GC, open handles: the usual process figures.
  collectDefaultMetrics({ register: registry });

  new Gauge({
    name: 'photogram_event_streams_open',
    help: 'Open notifications.onUpload event streams on this process.',
    registers: [registry],
    collect() {
      let total = 0;
      for (const count of sources.streamCaps.perUserCounts()) total += count;
      this.set(total);
    },
  });
  new Gauge({
    name: 'photogram_event_stream_users',
    help: 'People with open event streams on this process, by how many streams each holds.',
    labelNames: ['streams'],
    registers: [registry],
    collect() {
      const people = new Map<string, number>(STREAMS_PER_USER_BUCKETS.map((b) => [b.label, 0]));
      for (const count of sources.streamCaps.perUserCounts()) {
        const bucket = STREAMS_PER_USER_BUCKETS.find((b) => count >= b.min && count <= b.max);
        if (bucket) people.set(bucket.label, (people.get(bucket.label) ?? 0) + 1);
      }
      for (const [streams, value] of people) this.set({ streams }, value);
    },
  });
  new Gauge({
    name: 'photogram_http_connections_open',
    help: 'Open TCP connections to the main HTTP port (event streams, keep-alive, requests).',
    registers: [registry],
    async collect() {
      const count = await new Promise<number>((resolve) => {
        sources.server.getConnections((error, connections) => resolve(error ? 0 : connections));
      });
      this.set(count);
    },
  });
  new Gauge({
    name: 'photogram_uploads_in_flight',
    help: 'posts.upload requests admitted and not yet answered.',
    registers: [registry],
    collect() {
      this.set(sources.uploadGate.load().total);
    },
  });
  new Gauge({
    name: 'photogram_decodes',
    help: 'Image decodes in the decode pool, by state (running or waiting for a turn).',
    labelNames: ['state'],
    registers: [registry],
    collect() {
      const { running, waiting } = sources.decodes.load;
      this.set({ state: 'running' }, running);
      this.set({ state: 'waiting' }, waiting);
    },
  });
  new Gauge({
    name: 'photogram_bus_connected',
    help: '1 while the notification bus hears other processes (the postgres LISTEN connection is up; always for memory), 0 otherwise.',
    registers: [registry],
    collect() {
      this.set(sources.bus.connected ? 1 : 0);
    },
  });
  const fanOut = new Histogram({
    name: 'photogram_fanout_seconds',
    help: "Time from an upload's commit until this process handed its notifications to the local subscribers' streams.",
    buckets: FANOUT_BUCKETS,
    registers: [registry],
  });
  const stopObserving = sources.bus.observeDeliveries((event) => {
    if (event.committedAt === undefined) return;
    // Clocks of two machines may disagree by a little: never a negative latency.
    fanOut.observe(Math.max(0, Date.now() - event.committedAt) / 1000);
  });

  return {
    contentType: registry.contentType,
    render: () => registry.metrics(),
    close: stopObserving,
  };
}

const UNAUTHORIZED =
  'This needs the metrics token: send it as "Authorization: Bearer <METRICS_TOKEN>".';

/** Compares in constant time; hashing first makes the lengths equal without leaking them. */
function sameSecret(given: string, expected: string): boolean {
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}

/**
 * `GET /metrics` on the main port, for the bearer of `token` only (401 with a sentence
 * otherwise). A scraper that can reach the public port anyway needs no second port.
 */
export function metricsRoute(app: FastifyInstance, metrics: Metrics, token: string): void {
  app.get('/metrics', async (request, reply) => {
    reply.header('cache-control', 'no-store');
    const match = /^Bearer[ \t]+(\S+)$/i.exec(request.headers.authorization?.trim() ?? '');
    if (!match?.[1] || !sameSecret(match[1], token)) {
      return reply.code(401).header('www-authenticate', 'Bearer').send({ error: UNAUTHORIZED });
    }
    return reply.type(metrics.contentType).send(await metrics.render());
  });
}

/**
 * `GET /metrics` alone, on a port of its own bound to loopback (`METRICS_PORT`): only
 * something on this machine (a local Prometheus or agent, an SSH tunnel) can read it, so
 * it needs no token. Plain `node:http`: no SPA or helmet to keep in step with the main
 * port. Only the Host check stays: a web page whose name was rebound to 127.0.0.1 could
 * otherwise read the figures through its visitor's browser.
 */
export function startMetricsServer(
  metrics: Metrics,
  options: { port: number; host?: string; onError(error: unknown): void },
): Promise<Server> {
  const isOurs = createHostCheck();
  const server = createServer((request, response) => {
    if (!isOurs(request.headers.host ?? '')) {
      response.writeHead(421, { 'content-type': 'text/plain; charset=utf-8' });
      response.end('This port answers only for localhost or an IP address.\n');
      return;
    }
    const path = request.url?.split('?')[0];
    if (path !== '/metrics') {
      response.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' });
      response.end('There is nothing here but /metrics.\n');
      return;
    }
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      response.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain; charset=utf-8' });
      response.end('Read /metrics with GET.\n');
      return;
    }
    metrics.render().then(
      (text) => {
        response.writeHead(200, {
          'content-type': metrics.contentType,
          'cache-control': 'no-store',
        });
        response.end(request.method === 'HEAD' ? undefined : text);
      },
      (error: unknown) => {
        options.onError(error);
        response.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' });
        response.end('The figures could not be gathered. Please try again.\n');
      },
    );
  });
  // Scrapes are small and quick: a client that dawdles is cut off soon.
  server.headersTimeout = 5_000;
  server.requestTimeout = 10_000;
  server.keepAliveTimeout = 5_000;
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen({ port: options.port, host: options.host ?? '127.0.0.1' }, () => {
      server.off('error', reject);
      resolve(server);
    });
  });
}
