import { isTrackedEnvelope } from '@trpc/server';
import { isObservable, observableToAsyncIterable } from '@trpc/server/observable';
import { isAbortError, isAsyncIterable } from '@trpc/server/unstable-core-do-not-import';
import type { Call, ErrorReporter } from './errors';
import { notStreamable } from './errors';
import type { FrameWriter } from './frame-writer';
import { dataFrame, isSendableId, RETURN_FRAME, restoreIdFrame } from './frames';
import { payloadText, type Serialize } from './shared-payload';

/** What a subscription procedure returned, as an async iterable; anything else is an error. */
export function toIterable(
  result: unknown,
  path: string,
  signal: AbortSignal,
): AsyncIterable<unknown> {
  if (isObservable(result)) return observableToAsyncIterable(result, signal);
  if (isAsyncIterable(result)) return result;
  throw notStreamable(path);
}

/**
 * Copies the procedure's values to the stream until either side ends, as tRPC's
 * `sseStreamProducer` frames them: `tracked()` values with their `id:`, an untracked one
 * after a tracked one with the id cleared and restored; `return` when the procedure ends,
 * `serialized-error` when it throws. Aborting the stream ends the iterator. Never rejects.
 */
export async function pump<TContext>(
  stream: FrameWriter,
  iterable: AsyncIterable<unknown>,
  initialLastEventId: string | null,
  serialize: Serialize,
  errors: ErrorReporter<TContext>,
  call: Call<TContext>,
): Promise<void> {
  let iterator: AsyncIterator<unknown> | undefined;
  const stop = () => {
    // A generator waiting at `yield` ends now; one waiting elsewhere sees the signal.
    void iterator?.return?.().catch(() => {});
  };
  stream.abort.signal.addEventListener('abort', stop, { once: true });
  // The id the client's EventSource holds and will send back when it reconnects.
  let lastEventId = isSendableId(initialLastEventId) ? initialLastEventId : null;
  try {
    iterator = iterable[Symbol.asyncIterator]();
    for (;;) {
      const next = await iterator.next();
      if (stream.ended) return;
      if (next.done) {
        stream.end(RETURN_FRAME);
        return;
      }
      const value = next.value;
      if (isTrackedEnvelope(value)) {
        lastEventId = value[0];
        stream.write(dataFrame(payloadText(value[1], serialize), value[0]));
      } else if (lastEventId === null) {
        stream.write(dataFrame(payloadText(value, serialize)));
      } else {
        // An event without an id inherits the last one in EventSource: clear it for this
        // event, then restore it so a reconnect still resumes from the last tracked id.
        stream.write(dataFrame(payloadText(value, serialize), '') + restoreIdFrame(lastEventId));
      }
      // Past the high-water mark, let the event loop run once: the corked frames go out
      // and the socket can drain before the procedure is asked for more. A reader that
      // keeps falling behind reaches `maxBufferedBytes` and is dropped by the writer.
      if (stream.needsDrain) await new Promise((resolve) => setImmediate(resolve));
    }
  } catch (cause: unknown) {
    if (stream.ended || isAbortError(cause)) return;
    stream.end(errors.frameFor(cause, call));
  } finally {
    stream.abort.signal.removeEventListener('abort', stop);
    stream.end();
  }
}
