import type { FastifyServerOptions } from 'fastify';

/** Request and response headers that hold credentials; pino writes `[Redacted]` instead. */
export const REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'res.headers["set-cookie"]',
] as const;

/** Fields of database errors worth logging: none holds a value from the row or the statement. */
const SAFE_FIELDS = [
  'code',
  'severity',
  'constraint',
  'constraint_name',
  'table',
  'table_name',
  'column',
  'column_name',
  'schema',
  'schema_name',
  'routine',
] as const;

const MAX_CAUSES = 5;

export interface SafeError {
  type: string;
  message: string;
  stack: string;
  cause?: SafeError;
  [field: string]: unknown;
}

/**
 * The message without the values a database error carries: drizzle's "Failed query: …
 * params: …" keeps the statement (placeholders only) and drops the parameters, which
 * hold whatever was written, an argon2id hash on sign-up included.
 */
function safeMessage(message: string): string {
  return message.replace(/\n?params: [\s\S]*$/, '');
}

/**
 * pino's `err` serializer, keeping only what is known to be safe: the type, the message
 * and stack (without SQL parameters), the SQLSTATE and the names of the constraint,
 * table and column, and the same of each cause. Everything else an error object carries
 * is dropped: drizzle's `params`, postgres.js's `parameters` and `args`, PostgreSQL's
 * `detail` ("Failing row contains (…)", the whole row) and `where`. An allow-list, so
 * that a driver adding a field cannot put a secret in the log.
 */
export function serializeError(error: unknown, depth = 0): SafeError {
  if (!(error instanceof Error)) {
    const message = safeMessage(String(error));
    return { type: typeof error, message, stack: message };
  }
  const message = safeMessage(error.message);
  const type = error.constructor?.name ?? error.name;
  // The stack starts with "<name>: <message>", the parameters included: keep its frames.
  const frames = (error.stack ?? '').split('\n').filter((line) => /^\s+at /.test(line));
  const result: SafeError = {
    type,
    message,
    stack: [`${error.name}: ${message}`, ...frames].join('\n'),
  };
  for (const field of SAFE_FIELDS) {
    const value: unknown = Reflect.get(error, field);
    if (typeof value === 'string' || typeof value === 'number') result[field] = value;
  }
  if (error.cause !== undefined && depth < MAX_CAUSES) {
    result.cause = serializeError(error.cause, depth + 1);
  }
  return result;
}

type LoggerOption = FastifyServerOptions['logger'];

/**
 * The server's logger options with secrets kept out: the `err` serializer above and the
 * header redactions, whatever the caller passed (`true` means Fastify's defaults).
 */
export function withSafeLogging(logger: LoggerOption): LoggerOption {
  if (!logger) return false;
  const options = logger === true ? {} : logger;
  const given = options.redact;
  const paths = Array.isArray(given) ? given : (given?.paths ?? []);
  const redact = {
    ...(given && !Array.isArray(given) ? given : {}),
    paths: [...new Set([...paths, ...REDACTED_PATHS])],
  };
  return {
    ...options,
    redact,
    serializers: { ...options.serializers, err: (error: unknown) => serializeError(error) },
  };
}
