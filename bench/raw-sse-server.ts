/**
 * The baseline: SSE with nothing but `node:http`. Every GET is an event stream that
 * receives the same `connected` event tRPC sends; `POST /fanout` writes one pre-serialized
 * notification frame, with a per-subscriber `id:`, to every open stream. The fan-out start
 * and memory are reported over IPC like `server-process.ts` does, so the rows compare.
 *
 * Started as `node --expose-gc --import tsx bench/raw-sse-server.ts`; it listens on a free
 * port of 127.0.0.1 and reports which in its ready message.
 */
import { createServer, type ServerResponse } from 'node:http';
import superjson from 'superjson';
import { answerBenchRequests, readStats, send } from './ipc';

answerBenchRequests(() => readStats());

// Shaped and sized like Photogram's upload notification, through the same transformer.
const notification = {
  id: '1000001',
  type: 'upload',
  createdAt: new Date(),
  read: false,
  actor: {
    id: 'bench_author',
    username: 'bench_author',
    displayName: 'Bench author',
    avatarUrl: null,
  },
  post: {
    id: '1000',
    caption: 'Fan-out benchmark',
    thumbUrl: '/media/ab/abababababababababababababababababababababababababababababababab.webp',
  },
};
const payload = JSON.stringify(superjson.serialize(notification));
const connectedFrame = `event: connected\ndata: ${JSON.stringify({ reconnectAfterInactivityMs: 40_000 })}\n\n`;

const open = new Set<ServerResponse>();
let nextId = 1;

const server = createServer((request, response) => {
  if (request.method === 'POST' && request.url === '/fanout') {
    send({ type: 'fanout', at: process.hrtime.bigint().toString() });
    for (const stream of open) {
      stream.write(`data: ${payload}\nid: ${nextId}\n\n`);
      nextId += 1;
    }
    response.writeHead(204).end();
    return;
  }
  response.writeHead(200, {
    'content-type': 'text/event-stream',
    'cache-control': 'no-cache, no-transform',
    connection: 'keep-alive',
  });
  response.write(connectedFrame);
  open.add(response);
  response.on('close', () => open.delete(response));
});

// Any free port; the bench learns which from the ready message.
server.listen(0, '127.0.0.1', () => {
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : undefined;
  send({ type: 'ready', transport: 'raw', fanoutHook: 'POST /fanout', port });
});

process.on('SIGTERM', () => {
  for (const stream of open) stream.destroy();
  server.close(() => process.exit(0));
});
