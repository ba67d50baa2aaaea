import {
  createTRPCClient,
  httpLink,
  httpSubscriptionLink,
  splitLink,
  TRPCClientError,
} from '@trpc/client';
import { EventSource } from 'eventsource';
import superjson from 'superjson';
import type { Prefix, ToyRouter } from './router';

export interface ClientOptions {
  /** Sent as `authorization: Bearer <token>` on queries and on the EventSource's requests. */
  token?: string;
  /** Sent by `httpSubscriptionLink` as `?connectionParams=`. */
  connectionParams?: Record<string, string>;
  /** Which variant of the toy router to talk to; `/trpc/` (pings) by default. */
  prefix?: Prefix;
  /** Called for each `ping` frame the EventSource receives. */
  onPing?: () => void;
}

/** An `EventSource` that reports each `ping` frame it receives. */
function pingCounting(onPing: () => void): typeof EventSource {
  return class PingCountingEventSource extends EventSource {
    constructor(...args: ConstructorParameters<typeof EventSource>) {
      super(...args);
      this.addEventListener('ping', () => onPing());
    }
  };
}

/** The real client stack: `httpSubscriptionLink` over the `eventsource` package, `httpLink` for the rest. */
export function createClient(origin: string, options: ClientOptions = {}) {
  const url = `${origin}${options.prefix ?? '/trpc/'}`;
  const authorization = options.token ? `Bearer ${options.token}` : undefined;
  const ES = options.onPing ? pingCounting(options.onPing) : EventSource;
  return createTRPCClient<ToyRouter>({
    links: [
      splitLink({
        condition: (op) => op.type === 'subscription',
        true: httpSubscriptionLink({
          url,
          transformer: superjson,
          EventSource: ES,
          connectionParams: options.connectionParams,
          eventSourceOptions: {
            fetch: (input, init) =>
              fetch(input, {
                ...init,
                headers: authorization ? { ...init.headers, authorization } : init.headers,
              }),
          },
        }),
        false: httpLink({
          url,
          transformer: superjson,
          headers: authorization ? { authorization } : {},
        }),
      }),
    ],
  });
}

export type ToyClient = ReturnType<typeof createClient>;

export type Recorded =
  | { kind: 'started' }
  | { kind: 'data'; value: unknown }
  | { kind: 'state'; state: 'idle' | 'connecting' | 'pending'; error: unknown }
  | { kind: 'stopped' }
  | { kind: 'error'; error: unknown }
  | { kind: 'complete' };

export interface Callbacks {
  onStarted: () => void;
  onData: (value: unknown) => void;
  onConnectionStateChange: (state: {
    state: 'idle' | 'connecting' | 'pending';
    error: unknown;
  }) => void;
  onStopped: () => void;
  onError: (error: unknown) => void;
  onComplete: () => void;
}

/** Everything a client subscription reported, in order. */
export interface Recording {
  events: Recorded[];
  data(): unknown[];
  /** The `error` of each `connecting` state that had one. */
  connectingErrors(): unknown[];
  /** The error passed to `onError`, if any. */
  error(): unknown;
  completed(): boolean;
  unsubscribe(): void;
}

/** Subscribes with callbacks that record every event: `record((cb) => client.x.subscribe(input, cb))`. */
export function record(subscribe: (callbacks: Callbacks) => { unsubscribe(): void }): Recording {
  const events: Recorded[] = [];
  const sub = subscribe({
    onStarted: () => events.push({ kind: 'started' }),
    onData: (value) => events.push({ kind: 'data', value }),
    onConnectionStateChange: ({ state, error }) => events.push({ kind: 'state', state, error }),
    onStopped: () => events.push({ kind: 'stopped' }),
    onError: (error) => events.push({ kind: 'error', error }),
    onComplete: () => events.push({ kind: 'complete' }),
  });
  return {
    events,
    data: () => events.flatMap((e) => (e.kind === 'data' ? [e.value] : [])),
    connectingErrors: () =>
      events.flatMap((e) =>
        e.kind === 'state' && e.state === 'connecting' && e.error ? [e.error] : [],
      ),
    error: () => events.find((e) => e.kind === 'error')?.error,
    completed: () => events.some((e) => e.kind === 'complete'),
    unsubscribe: () => sub.unsubscribe(),
  };
}

/** The fields of a `TRPCClientError` the tests look at. */
export function clientError(error: unknown) {
  if (!(error instanceof TRPCClientError)) {
    throw new Error(`expected a TRPCClientError, got ${String(error)}`);
  }
  const data = (error.data ?? {}) as { code?: string; mark?: string; httpStatus?: number };
  return { message: error.message, code: data.code, mark: data.mark, httpStatus: data.httpStatus };
}
