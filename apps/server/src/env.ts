import { isAbsolute, join, resolve } from 'node:path';
import { z } from 'zod';
import { AllowedHostsSetting, TrustProxySetting } from './proxy-settings';

const MiB = 1024 * 1024;

const EnvSchema = z
  .object({
    PORT: z.coerce
      .number({ error: 'must be a port number' })
      .int('must be a whole number')
      .min(0, 'must be between 0 and 65535')
      .max(65_535, 'must be between 0 and 65535')
      .default(3000),
    HOST: z.string().min(1).default('127.0.0.1'),
    DATABASE_URL: z
      .url({ protocol: /^postgres(ql)?$/, error: 'must be a postgres:// URL' })
      .optional(),
    DATA_DIR: z.string().min(1).default('./.data'),
    MEDIA_DIR: z.string().min(1).optional(),
    PUBLIC_ORIGIN: z
      .url({
        protocol: /^https?$/,
        error: 'must be an http(s) origin such as https://photos.example.com',
      })
      .transform((value) => new URL(value).origin)
      .optional(),
    BUS: z
      .enum(['memory', 'postgres'], { error: 'must be "memory" or "postgres"' })
      .default('memory'),
    BUS_CHECK_INTERVAL_MS: z.coerce
      .number({ error: 'must be a number of milliseconds' })
      .int('must be a whole number of milliseconds')
      .min(0, 'must be 0 (off) or more')
      .default(10_000),
    SSE_TRANSPORT: z
      .enum(['trpc-sse', 'stock'], { error: 'must be "trpc-sse" or "stock"' })
      .default('trpc-sse'),
    MAX_UPLOAD_BYTES: z.coerce
      .number({ error: 'must be a number of bytes' })
      .int('must be a whole number of bytes')
      .positive('must be more than 0')
      .default(10 * MiB),
    MAX_CONNECTIONS_PER_ADDRESS: z.coerce
      .number({ error: 'must be a number of connections' })
      .int('must be a whole number of connections')
      .min(0, 'must be 0 (no cap) or more')
      .default(256),
    MAX_STREAMS_PER_USER: z.coerce
      .number({ error: 'must be a number of streams' })
      .int('must be a whole number of streams')
      .min(0, 'must be 0 (no cap) or more')
      .default(32),
    MAX_STREAMS_PER_ADDRESS: z.coerce
      .number({ error: 'must be a number of streams' })
      .int('must be a whole number of streams')
      .min(0, 'must be 0 (no cap) or more')
      .default(256),
    UPLOADS_PER_USER: z.coerce
      .number({ error: 'must be a number of uploads' })
      .int('must be a whole number of uploads')
      .positive('must be 1 or more')
      .default(3),
    UPLOADS_PER_ADDRESS: z.coerce
      .number({ error: 'must be a number of uploads' })
      .int('must be a whole number of uploads')
      .positive('must be 1 or more')
      .default(6),
    UPLOADS_TOTAL: z.coerce
      .number({ error: 'must be a number of uploads' })
      .int('must be a whole number of uploads')
      .positive('must be 1 or more')
      .default(12),
    DECODE_CONCURRENCY: z.coerce
      .number({ error: 'must be a number of decodes' })
      .int('must be a whole number of decodes')
      .positive('must be 1 or more')
      .default(2),
    DECODE_QUEUE: z.coerce
      .number({ error: 'must be a number of decodes' })
      .int('must be a whole number of decodes')
      .min(0, 'must be 0 (no cap) or more')
      .default(16),
    // Where `/metrics` is served; neither set, it is served nowhere (see metrics.ts).
    METRICS_PORT: z.coerce
      .number({ error: 'must be a port number' })
      .int('must be a whole number')
      .min(1, 'must be between 1 and 65535')
      .max(65_535, 'must be between 1 and 65535')
      .optional(),
    METRICS_TOKEN: z
      .string()
      // A scraper's secret that is guessed gives away who is online: make guessing hopeless.
      .min(16, 'must be at least 16 characters (e.g. `openssl rand -hex 32`)')
      .regex(/^[\x21-\x7e]+$/, 'must be printable ASCII without spaces, as a bearer token is')
      .optional(),
    TRUST_PROXY: TrustProxySetting,
    ALLOWED_HOSTS: AllowedHostsSetting,
    LOG_LEVEL: z
      .enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], {
        error: 'must be one of fatal, error, warn, info, debug, trace, silent',
      })
      .default('info'),
  })
  .superRefine((env, ctx) => {
    if (env.BUS === 'postgres' && !env.DATABASE_URL) {
      ctx.addIssue({
        code: 'custom',
        path: ['BUS'],
        message: 'is "postgres", which needs DATABASE_URL to be set',
      });
    }
    if (env.METRICS_PORT !== undefined && env.METRICS_PORT === env.PORT) {
      ctx.addIssue({
        code: 'custom',
        path: ['METRICS_PORT'],
        message: 'is the same as PORT; the figures need a port of their own',
      });
    }
  });

/** Variables whose values are secrets: a message about them never repeats the value. */
const SECRETS = new Set(['METRICS_TOKEN']);

export type Env = Omit<z.infer<typeof EnvSchema>, 'MEDIA_DIR'> & { MEDIA_DIR: string };

/** A configuration problem, worded for the person starting the server. */
export class EnvError extends Error {
  override name = 'EnvError';
}

/**
 * Parses the configuration. Empty values count as unset. Throws `EnvError` naming
 * every bad variable, so start-up stops before anything is opened.
 */
export function parseEnv(source: Record<string, string | undefined>, cwd = process.cwd()): Env {
  const present = Object.fromEntries(
    Object.entries(source).filter(([, value]) => value !== undefined && value !== ''),
  );
  const result = EnvSchema.safeParse(present);
  if (!result.success) {
    const lines = result.error.issues.map((issue) => {
      const name = String(issue.path[0] ?? 'environment');
      const value = SECRETS.has(name) ? undefined : present[name];
      return `  ${name} ${issue.message}${value === undefined ? '' : ` (got ${JSON.stringify(value)})`}`;
    });
    throw new EnvError(`Invalid configuration:\n${lines.join('\n')}`);
  }
  const env = result.data;
  const dataDir = isAbsolute(env.DATA_DIR) ? env.DATA_DIR : resolve(cwd, env.DATA_DIR);
  const mediaDir = env.MEDIA_DIR ? resolve(cwd, env.MEDIA_DIR) : join(dataDir, 'media');
  return { ...env, DATA_DIR: dataDir, MEDIA_DIR: mediaDir };
}

/** The only place that reads `process.env`. */
export function loadEnv(): Env {
  return parseEnv(process.env);
}
