import { isAbsolute, join, resolve } from 'node:path';
import { z } from 'zod';
import { AllowedHostsSetting, TrustProxySetting } from './proxy-settings';

const MiB = 1024 * 1024;

/**
 * A whole number of `unit` from the environment, `fallback` when unset. With `zero`, 0 is
 * allowed and means that ("off", "no cap"); without it the least is 1.
 */
function count(unit: string, fallback: number, zero?: string) {
  const number = z.coerce
    .number({ error: `must be a number of ${unit}` })
    .int(`must be a whole number of ${unit}`);
  const bounded =
    zero === undefined
      ? number.positive('must be 1 or more')
      : number.min(0, `must be 0 (${zero}) or more`);
  return bounded.default(fallback);
}

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
    BUS_CHECK_INTERVAL_MS: count('milliseconds', 10_000, 'off'),
    SSE_TRANSPORT: z
      .enum(['trpc-sse', 'stock'], { error: 'must be "trpc-sse" or "stock"' })
      .default('trpc-sse'),
    MAX_UPLOAD_BYTES: count('bytes', 10 * MiB),
    MAX_CONNECTIONS_PER_ADDRESS: count('connections', 256, 'no cap'),
    MAX_STREAMS_PER_USER: count('streams', 32, 'no cap'),
    MAX_STREAMS_PER_ADDRESS: count('streams', 256, 'no cap'),
    UPLOADS_PER_USER: count('uploads', 3),
    UPLOADS_PER_ADDRESS: count('uploads', 6),
    UPLOADS_TOTAL: count('uploads', 12),
    DECODE_CONCURRENCY: count('decodes', 2),
    DECODE_QUEUE: count('decodes', 16, 'none may wait'),
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
