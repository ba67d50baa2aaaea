/**
 * The Server-Sent Events frames `httpSubscriptionLink` reads, byte for byte as tRPC's
 * stock `sseStreamProducer` writes them: each field on its own line, then a blank line
 * (the stock producer ends every event with `\n\n` after the last field's own `\n`).
 */

const END = '\n\n';

/** The first event: the client options (`reconnectAfterInactivityMs`), as plain JSON. */
export function connectedFrame(clientOptions: object): string {
  return `event: connected\ndata: ${JSON.stringify(clientOptions)}\n${END}`;
}

/** A value; `id` set for `tracked()` values, `''` to clear the id an untracked value would inherit. */
export function dataFrame(json: string, id?: string): string {
  return id === undefined ? `data: ${json}\n${END}` : `data: ${json}\nid: ${id}\n${END}`;
}

/** Puts the last tracked id back after an untracked value cleared it (clients ignore the event). */
export function restoreIdFrame(id: string): string {
  return `event: restore-id\ndata: \nid: ${id}\n${END}`;
}

/** Sets the EventSource's reconnection time (whole milliseconds). */
export function retryFrame(ms: number): string {
  return `retry: ${Math.max(0, Math.round(ms))}${END}`;
}

export const PING_FRAME = `event: ping\ndata: \n${END}`;

/** The generator ended: the client completes instead of reconnecting. */
export const RETURN_FRAME = `event: return\ndata: \n${END}`;

/** tRPC's error shape, through the transformer; the client turns it into a `TRPCClientError`. */
export function errorFrame(json: string): string {
  return `event: serialized-error\ndata: ${json}\n${END}`;
}

/** An id that can travel in an `id:` field (the SSE grammar forbids these characters). */
export function isSendableId(id: string | null | undefined): id is string {
  return typeof id === 'string' && id !== '' && !/[\0\n\r]/.test(id);
}
