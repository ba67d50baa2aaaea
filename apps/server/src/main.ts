import type { Server } from 'node:http';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  createLocalMediaStorage,
  DecodePool,
  MemoryBus,
  PostgresBus,
  sweepMedia,
} from '@photogram/api';
import { openDatabase } from '@photogram/db';
import { EnvError, loadEnv } from './env';
import { createLogStream } from './log-stream';
import { startMetricsServer } from './metrics';
import { buildServer } from './server';
import { createUploadGate } from './upload-gate';

/** Requests in flight at SIGTERM get this long to finish (and uploads to publish). */
const DRAIN_TIMEOUT_MS = 10_000;
/** Whatever hangs on the way out, the process has ended this long after the signal. */
const SHUTDOWN_DEADLINE_MS = 15_000;

const MEDIA_SWEEP_INTERVAL_MS = 60 * 60 * 1000;

function readEnv() {
  try {
    return loadEnv();
  } catch (error: unknown) {
    if (error instanceof EnvError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }
}

const env = readEnv();
// People at a terminal get readable lines; pipes and log collectors get JSON, written
// without ever blocking (see createLogStream).
const logStream = process.stdout.isTTY ? null : createLogStream();
const database = await openDatabase({
  url: env.DATABASE_URL,
  dataDir: join(env.DATA_DIR, 'pglite'),
});
const media = createLocalMediaStorage(env.MEDIA_DIR);
const bus =
  env.BUS === 'postgres'
    ? await PostgresBus.start({
        db: database.db,
        listen: database.listen,
        notify: database.notify,
        headCheckIntervalMs: env.BUS_CHECK_INTERVAL_MS,
        // Only called for NOTIFYs, which arrive after `app` exists.
        onError: (error) => app.log.error({ err: error }, 'notification bus failed'),
      })
    : new MemoryBus();
// A reverse proxy on this machine is every client at once: the per-address caps leave
// loopback alone (with TRUST_PROXY the address is the forwarded client's instead).
const LOOPBACK = ['127.0.0.1', '::1', '::ffff:127.0.0.1'];
const app = await buildServer({
  bus,
  db: database.db,
  publicOrigin: env.PUBLIC_ORIGIN,
  trustProxy: env.TRUST_PROXY,
  // The listen host, when it is a name; IP addresses are always answered (see host-check.ts).
  allowedHosts: [...env.ALLOWED_HOSTS, env.HOST],
  media,
  maxUploadBytes: env.MAX_UPLOAD_BYTES,
  sseTransport: env.SSE_TRANSPORT,
  // Request timeouts are REQUEST_TIMEOUTS (connection-bounds.ts). Behind a proxy elsewhere
  // without TRUST_PROXY, set the per-address caps to 0.
  connectionCap: { perAddress: env.MAX_CONNECTIONS_PER_ADDRESS, exempt: LOOPBACK },
  uploadGate: createUploadGate({
    perClient: env.UPLOADS_PER_USER,
    perAddress: env.UPLOADS_PER_ADDRESS,
    total: env.UPLOADS_TOTAL,
    exempt: LOOPBACK,
  }),
  decodes: new DecodePool({ concurrency: env.DECODE_CONCURRENCY, maxQueued: env.DECODE_QUEUE }),
  streamLimits: {
    perUser: env.MAX_STREAMS_PER_USER,
    perAddress: env.MAX_STREAMS_PER_ADDRESS,
    exempt: LOOPBACK,
  },
  // Gathered only when someone may read them (see metrics.ts).
  ...(env.METRICS_PORT !== undefined || env.METRICS_TOKEN !== undefined
    ? { metrics: { token: env.METRICS_TOKEN } }
    : {}),
  webRoot: fileURLToPath(new URL('../../web/dist', import.meta.url)),
  logger: {
    level: env.LOG_LEVEL,
    redact: ['req.headers.authorization', 'req.headers.cookie', 'res.headers["set-cookie"]'],
    ...(logStream
      ? { stream: logStream }
      : {
          transport: {
            target: 'pino-pretty',
            options: { ignore: 'pid,hostname', translateTime: 'HH:MM:ss' },
          },
        }),
  },
});

/** Closes a plain HTTP server and the connections it holds. */
async function closeServer(server: Server | null): Promise<void> {
  if (!server) return;
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  server.closeAllConnections();
  await closed;
}

/** Exits once the logs written so far are out, or after a second if stdout is stuck. */
async function exit(code: number): Promise<never> {
  await logStream?.flush(1_000);
  process.exit(code);
}

let metricsServer: Server | null = null;

let closing = false;
/**
 * Drains, then closes in order: requests finish (uploads commit and publish), event
 * streams end so their clients reconnect elsewhere, the listening socket and the
 * connections close, then the bus, then the database that both of those use.
 */
async function shutdown(signal: string) {
  if (closing) return;
  closing = true;
  // Unref'd: it must not keep the process up, only end one that is stuck.
  setTimeout(() => {
    app.log.error({ signal }, `shutdown took longer than ${SHUTDOWN_DEADLINE_MS} ms; exiting`);
    void exit(1);
  }, SHUTDOWN_DEADLINE_MS).unref();
  app.log.info({ signal }, 'shutting down');
  try {
    if (!(await app.drain(DRAIN_TIMEOUT_MS))) {
      app.log.warn(`requests still running after ${DRAIN_TIMEOUT_MS} ms; closing anyway`);
    }
    await app.close();
    // After the main port: a scrape during the drain still sees it.
    await closeServer(metricsServer);
    await bus.close();
    await database.close();
    app.log.info({ droppedLogLines: logStream?.dropped ?? 0 }, 'shut down');
    await exit(0);
  } catch (error: unknown) {
    app.log.error({ err: error }, 'shutdown failed');
    await exit(1);
  }
}
process.on('SIGTERM', () => void shutdown('SIGTERM'));
process.on('SIGINT', () => void shutdown('SIGINT'));

try {
  // Before the main port: once /healthz answers, so does the scrape.
  if (env.METRICS_PORT !== undefined && app.metrics) {
    metricsServer = await startMetricsServer(app.metrics, {
      port: env.METRICS_PORT,
      onError: (error) => app.log.error({ err: error }, 'gathering the metrics failed'),
    });
    app.log.info(`Metrics are at http://127.0.0.1:${env.METRICS_PORT}/metrics (this machine only)`);
  }
  // After a restart every client comes back within seconds: Node's default backlog (511)
  // drops the rest of the SYNs, and those clients wait 1, 3, 7, 15 s to try again.
  await app.listen({ port: env.PORT, host: env.HOST, backlog: 4096 });
  app.log.info(
    `Photogram is running at http://${env.HOST}:${env.PORT} (${env.DATABASE_URL ? 'PostgreSQL' : `PGlite in ${env.DATA_DIR}`})`,
  );
  // Files no post uses (an upload killed before its commit) go at start-up and hourly.
  const sweep = () => {
    sweepMedia({ db: database.db, media }).then(
      ({ removed, temporary }) => {
        if (removed + temporary > 0) app.log.info({ removed, temporary }, 'swept unused media');
      },
      (error: unknown) => app.log.warn({ err: error }, 'sweeping unused media failed'),
    );
  };
  sweep();
  setInterval(sweep, MEDIA_SWEEP_INTERVAL_MS).unref();
} catch (error: unknown) {
  app.log.error({ err: error }, 'could not start listening');
  await closeServer(metricsServer);
  await bus.close();
  await database.close();
  await exit(1);
}
