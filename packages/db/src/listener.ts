import type { PGlite } from '@electric-sql/pglite';
import postgres from 'postgres';

export interface ListenOptions {
  channels: readonly string[];
  onNotify(channel: string, payload: string): void;
  /**
   * Called each time listening starts again after the connection was lost: whatever was
   * notified in between was not heard, so the caller catches up some other way.
   */
  onReconnect(): void;
  /** A reconnect attempt failed (it is retried); for logs. */
  onError?(error: unknown): void;
  /** The PostgreSQL `application_name` of the LISTEN connection, so operators can find it. */
  applicationName?: string;
}

/** A LISTEN that lasts: it reconnects by itself, with back-off, until closed. */
export interface Listener {
  /** True while the LISTEN connection is up and listening on every channel. */
  readonly listening: boolean;
  close(): Promise<void>;
}

const RETRY_MIN_MS = 100;
const RETRY_MAX_MS = 5_000;

/**
 * LISTEN on a connection of its own, supervised. postgres.js's own `sql.listen` re-listens
 * once when its connection closes and forgets the channel if that one attempt fails (the
 * database still down), so after a restart of PostgreSQL nothing was heard again. Here a
 * lost connection is retried until it comes back, and `onReconnect` says so.
 */
export async function listenPostgres(url: string, options: ListenOptions): Promise<Listener> {
  let listening = false;
  let closed = false;
  let retryMs = RETRY_MIN_MS;
  let timer: NodeJS.Timeout | null = null;

  const sql = postgres(url, {
    max: 1,
    idle_timeout: 0,
    max_lifetime: 0,
    fetch_types: false,
    connect_timeout: 5,
    onnotice: () => {},
    connection: { application_name: options.applicationName ?? 'photogram-listen' },
    onnotify: (channel: string, payload: string) => {
      if (!closed) options.onNotify(channel, payload);
    },
    onclose: () => {
      if (closed || !listening) return;
      listening = false;
      schedule();
    },
  } as postgres.Options<Record<string, never>>);

  // One attempt at a time: the first, then each one `schedule` starts.
  async function start(): Promise<void> {
    for (const channel of options.channels) {
      await sql.unsafe(`listen "${channel.replaceAll('"', '""')}"`);
    }
    if (closed) return;
    listening = true;
    retryMs = RETRY_MIN_MS;
  }

  function schedule() {
    if (closed || timer) return;
    timer = setTimeout(() => {
      timer = null;
      start().then(
        () => {
          if (listening) options.onReconnect();
        },
        (error: unknown) => {
          options.onError?.(error);
          retryMs = Math.min(retryMs * 2, RETRY_MAX_MS);
          schedule();
        },
      );
    }, retryMs);
    timer.unref();
  }

  try {
    await start();
  } catch (error: unknown) {
    closed = true;
    await sql.end({ timeout: 1 });
    throw error;
  }

  return {
    get listening() {
      return listening;
    },
    async close() {
      closed = true;
      listening = false;
      if (timer) clearTimeout(timer);
      await sql.end({ timeout: 1 });
    },
  };
}

/** PGlite runs in this process: its LISTEN cannot be lost. */
export async function listenPglite(client: PGlite, options: ListenOptions): Promise<Listener> {
  const stops = await Promise.all(
    options.channels.map((channel) =>
      client.listen(channel, (payload) => options.onNotify(channel, payload)),
    ),
  );
  let listening = true;
  return {
    get listening() {
      return listening;
    },
    async close() {
      listening = false;
      await Promise.all(stops.map((stop) => stop()));
    },
  };
}
