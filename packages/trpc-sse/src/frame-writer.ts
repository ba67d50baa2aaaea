import type { ServerResponse } from 'node:http';
import { sseHeaders } from '@trpc/server/unstable-core-do-not-import';

/** What a stream's writer needs from the registry that holds it. */
export interface StreamHost {
  /** The shared ping clock's count of ticks: a stream stamps its last write with it. */
  readonly tick: number;
  /** Bytes that may wait in one socket's write buffer before its reader is dropped. */
  readonly maxBufferedBytes: number;
  /** The stream has ended, whichever way: it is no longer open. */
  forget(stream: FrameWriter): void;
}

/**
 * One open event stream: writes frames onto its response and ends it, one of two ways.
 * `end` finishes the response cleanly (the client sees the body end); `drop` destroys the
 * connection, for a reader that has fallen `maxBufferedBytes` behind or has gone.
 *
 * Once the head is out, a frame goes to the socket as one HTTP/1.1 chunk, the bytes
 * `res.write` would produce: `res.write` sends each chunk as four corked writes flushed on
 * the next tick, so on a fan-out nothing would leave before every stream had been served,
 * and the first reader would wait for the last. The head, the end of the response and
 * HTTP/1.0 clients (no chunking) go through `res`.
 *
 * Kept for the stream's whole life, so kept small: a few fields and one `close` listener.
 */
export class FrameWriter {
  /** Aborted when the stream ends, however it ends: the procedure's `signal`. */
  readonly abort = new AbortController();
  /** The ping clock's tick of the last frame written (a counter, cheaper than a clock). */
  lastWriteTick: number;
  ended = false;
  /** Resolves when the procedure's iterable has finished (set by the pump). */
  done: Promise<void> = Promise.resolve();

  constructor(
    readonly res: ServerResponse,
    private readonly host: StreamHost,
  ) {
    this.lastWriteTick = host.tick;
    // A client that leaves aborts its procedure (a stream that ended is already marked).
    res.once('close', () => this.drop());
  }

  /** Writes the head of the event stream (the stock path's status and headers), then `firstFrame`. */
  start(firstFrame: string) {
    const { res } = this;
    res.statusCode = 200;
    res.setHeader('vary', 'trpc-accept, accept');
    for (const [name, value] of Object.entries(sseHeaders)) res.setHeader(name, value);
    this.write(firstFrame);
  }

  /** Like the stock path's `maxDurationMs`: the stream ends, without `return`, and the client reconnects. */
  endAfter(ms: number) {
    const timer = setTimeout(() => this.end(), ms);
    this.res.once('close', () => clearTimeout(timer));
  }

  /** Writes a frame; a socket that has stopped draining is dropped rather than buffered. */
  write(frame: string) {
    if (this.ended) return;
    const { res } = this;
    const socket = res.socket;
    // Straight to the socket only when `res` holds nothing back: Node 24 keeps the head and
    // the first chunk in the response itself until it uncorks on the next tick (Node 20
    // hands them to the socket at once), and a frame written past them would reach the
    // client before the status line.
    if (
      socket &&
      res.headersSent &&
      res.chunkedEncoding &&
      res.writableLength === socket.writableLength
    ) {
      socket.write(`${Buffer.byteLength(frame).toString(16)}\r\n${frame}\r\n`);
    } else {
      res.write(frame);
    }
    this.lastWriteTick = this.host.tick;
    if (res.writableLength > this.host.maxBufferedBytes) this.drop();
  }

  /**
   * Whether the socket is past its high-water mark, or the response still holds its head
   * back: the pump then lets the event loop run once (corked frames go out, the socket can
   * drain) before it asks for the next value.
   */
  get needsDrain(): boolean {
    const { res } = this;
    const socket = res.socket;
    if (!socket) return false;
    // Also while `res` itself holds bytes back (Node 24, until it uncorks): the frames
    // would pile up there, behind the head, instead of going out.
    return socket.writableNeedDrain || res.writableLength > socket.writableLength;
  }

  /** Ends the response cleanly, after `lastFrame` if given, and aborts the procedure. */
  end(lastFrame?: string) {
    if (this.ended) return;
    if (lastFrame) this.res.write(lastFrame);
    this.#finish();
    this.res.end();
  }

  /** Ends the connection without a goodbye: the EventSource reconnects and resumes. */
  drop() {
    if (this.ended) return;
    this.#finish();
    this.res.destroy();
  }

  #finish() {
    this.ended = true;
    this.host.forget(this);
    this.abort.abort();
  }
}
