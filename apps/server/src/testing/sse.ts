import { createParser, type EventSourceMessage } from 'eventsource-parser';
import { EventSourceParserStream } from 'eventsource-parser/stream';
import { vi } from 'vitest';

export type { EventSourceMessage } from 'eventsource-parser';

/** tRPC's keep-alive: it says nothing about the stream, so no test reads it. */
const isPing = (event: EventSourceMessage) => event.event === 'ping';

/** The events of a whole event-stream body, pings left out. */
export function parseEvents(text: string): EventSourceMessage[] {
  const events: EventSourceMessage[] = [];
  const parser = createParser({
    onEvent: (event) => {
      if (!isPing(event)) events.push(event);
    },
  });
  parser.feed(text);
  return events;
}

/** The SSE request a browser's EventSource sends for `procedure` with `input`. */
export function subscriptionUrl(baseUrl: string, procedure: string, input?: unknown): string {
  const query =
    input === undefined ? '' : `?input=${encodeURIComponent(JSON.stringify({ json: input }))}`;
  return `${baseUrl}/trpc/${procedure}${query}`;
}

/**
 * An event stream read as it arrives: `events` (pings left out) grows in the background,
 * `ended` turns true when the server ends the response.
 */
export function readEvents(response: Response) {
  if (!response.body) throw new Error('the response has no body to read events from');
  const events: EventSourceMessage[] = [];
  let retry: number | undefined;
  let ended = false;
  const reader = response.body
    .pipeThrough(new TextDecoderStream())
    .pipeThrough(
      new EventSourceParserStream({
        onRetry: (ms) => {
          retry = ms;
        },
      }),
    )
    .getReader();
  const done = (async () => {
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        if (!isPing(value)) events.push(value);
      }
    } catch {
      // Cancelled by `close()`, or the connection dropped: either way the stream is over.
    } finally {
      ended = true;
    }
  })();
  return {
    response,
    events,
    /** The `retry:` the server sent, if it sent one. */
    get retry() {
      return retry;
    },
    get ended() {
      return ended;
    },
    /** The first `count` events, once they have arrived (fails if the stream ends first). */
    async take(count: number, timeoutMs = 10_000): Promise<EventSourceMessage[]> {
      await vi.waitFor(
        () => {
          if (events.length >= count) return;
          if (ended) throw new Error(`the stream ended after ${events.length} of ${count} events`);
          throw new Error(`${events.length} of ${count} events so far`);
        },
        { timeout: timeoutMs, interval: 10 },
      );
      return events.slice(0, count);
    },
    /** Resolves when the server has ended the stream. */
    finished: () => done,
    async close() {
      await reader.cancel().catch(() => {});
      await done;
    },
  };
}
