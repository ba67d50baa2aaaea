import SonicBoom from 'sonic-boom';

/** Bytes of log lines held while stdout is not being read; past it, lines are dropped. */
const MAX_BUFFERED_BYTES = 4 * 1024 * 1024;

export interface LogStream {
  write(line: string): void;
  /** Waits until what is buffered has been written, at most `timeoutMs`. */
  flush(timeoutMs: number): Promise<void>;
  /** Lines dropped so far because the buffer was full or the reader had gone. */
  readonly dropped: number;
}

/**
 * Where the server's JSON logs go: a file descriptor (stdout), written asynchronously
 * with a bounded buffer, so that logging never blocks or hangs the server.
 *
 * pino's default destination writes synchronously. When nobody reads the pipe (a log
 * shipper that hangs, or died while another process still holds the pipe), each write
 * fails with EAGAIN and sonic-boom sleeps 100 ms and tries again, on the event loop, for
 * ever: requests stall and shutdown never ends. Here that retry happens in the
 * background while new lines wait in a buffer of at most MAX_BUFFERED_BYTES, beyond which
 * they are dropped; once the reader has gone for good (EPIPE) nothing more is written.
 */
export function createLogStream(fd = 1, maxBufferedBytes = MAX_BUFFERED_BYTES): LogStream {
  const sonic = new SonicBoom({ fd, sync: false, maxLength: maxBufferedBytes });
  let broken = false;
  let pending = 0;
  let dropped = 0;
  const flushed = new Set<() => void>();
  const settle = () => {
    for (const resolve of flushed) resolve();
    flushed.clear();
  };
  sonic.on('write', (bytes: number) => {
    pending = Math.max(0, pending - bytes);
  });
  sonic.on('drain', settle);
  sonic.on('drop', () => {
    dropped += 1;
  });
  // EPIPE: the reader has gone, and logs have nowhere to go. Any other write error would
  // recur on every line just the same. Either way logging stops, rather than throwing
  // (an 'error' nobody handles) or retrying a dead pipe.
  sonic.on('error', () => {
    broken = true;
    pending = 0;
    settle();
  });
  return {
    write(line) {
      if (broken) {
        dropped += 1;
        return;
      }
      const before = dropped;
      sonic.write(line);
      if (dropped === before) pending += Buffer.byteLength(line);
    },
    flush(timeoutMs) {
      if (broken || pending === 0) return Promise.resolve();
      return new Promise((resolve) => {
        const timer = setTimeout(done, timeoutMs);
        function done() {
          clearTimeout(timer);
          flushed.delete(done);
          resolve();
        }
        flushed.add(done);
      });
    },
    get dropped() {
      return dropped;
    },
  };
}
