import { appRouter, SESSION_COOKIE, ServiceBusyError, TooManyRequestsError } from '@photogram/api';
import { PostMessages } from '@photogram/contracts';
import { TRPCError } from '@trpc/server';
import {
  getErrorShape,
  getHTTPStatusCodeFromError,
  transformTRPCResponse,
} from '@trpc/server/unstable-core-do-not-import';
import type { FastifyReply, FastifyRequest } from 'fastify';

export interface UploadCaps {
  /** Uploads one client may have in flight at once (`UPLOADS_PER_USER`). */
  perClient: number;
  /** Uploads one address may have in flight at once (`UPLOADS_PER_ADDRESS`). */
  perAddress: number;
  /** Uploads the process takes in at once, from everyone (`UPLOADS_TOTAL`). */
  total: number;
  /** Addresses the per-address cap leaves alone: a reverse proxy here is every client at once. */
  exempt: readonly string[];
}

/**
 * An upload's body is read into memory whole before its procedure runs (tRPC's node-http
 * handler pulls the stream as fast as it arrives, then parses the FormData), and the
 * procedure copies it again: about 2.2 times the file size in memory per upload in
 * flight. So uploads are counted on arrival, before any of the body is read: 3 per
 * client is a person uploading a few photos from a gallery; 12 in all bounds body
 * memory to ~12 × 10 MB × 2.2 ≈ 260 MB, and the decode pool behind it keeps only two
 * decoding at a time.
 */
export const UPLOAD_CAPS: UploadCaps = {
  perClient: 3,
  // Half the total: one address making up credentials cannot take every slot, and two
  // people behind one NAT still upload at full speed.
  perAddress: 6,
  total: 12,
  exempt: ['127.0.0.1', '::1', '::ffff:127.0.0.1'],
};

/** Procedures whose calls carry a photo in their body. */
const UPLOAD_PROCEDURES = new Set(['posts.upload', 'users.updateAvatar']);

/**
 * The procedure a call to `/trpc/:path` names, decoded as the route decodes it (so
 * `posts%2Eupload` is `posts.upload` here too), or null for any other route.
 */
function procedureOf(request: FastifyRequest): string | null {
  if (request.routeOptions.url !== '/trpc/:path') return null;
  const params: unknown = request.params;
  if (typeof params !== 'object' || params === null || !('path' in params)) return null;
  return typeof params.path === 'string' ? params.path : null;
}

/** The credential a request presents, read but not checked: checking needs the database. */
function credentialOf(request: FastifyRequest): string | null {
  const authorization = request.headers.authorization?.trim();
  if (authorization) return `authorization ${authorization}`;
  for (const pair of request.headers.cookie?.split(';') ?? []) {
    const eq = pair.indexOf('=');
    if (eq > 0 && pair.slice(0, eq).trim() === SESSION_COOKIE) {
      return `session ${pair.slice(eq + 1).trim()}`;
    }
  }
  return null;
}

/**
 * Counts uploads from the moment their headers arrive until their response is finished,
 * and refuses the ones beyond `UploadCaps` before their body is read: 429 for a client
 * over its own cap, 503 when the whole process is, both with `Retry-After` and a sentence,
 * in tRPC's error shape so the typed client reads them like any other error.
 *
 * "Client" is the credential presented (session cookie or bearer token), unverified: the
 * user it belongs to is only known once the database has said so, and by then the body
 * would be on its way. Someone who makes up credentials gets a slot per made-up one, but
 * never more than `perAddress` from one address (429) nor `total` in all; without a
 * credential the client is its address.
 */
export function createUploadGate(caps: Partial<UploadCaps> = {}) {
  const { perClient, perAddress, total, exempt } = { ...UPLOAD_CAPS, ...caps };
  const exempted = new Set(exempt);
  const perKey = new Map<string, number>();
  const perIp = new Map<string, number>();
  let inFlight = 0;
  /** A running average of how long an upload takes to answer, for `Retry-After`. */
  let averageMs = 2_000;

  function retryAfterSeconds(): number {
    return Math.min(60, Math.max(1, Math.ceil(averageMs / 1000)));
  }

  function refuse(request: FastifyRequest, reply: FastifyReply, cause: Error, wait: number) {
    const code = cause instanceof ServiceBusyError ? 'SERVICE_UNAVAILABLE' : 'TOO_MANY_REQUESTS';
    const error = new TRPCError({ code, message: cause.message, cause });
    const config = appRouter._def._config;
    const shape = getErrorShape({
      config,
      error,
      type: 'mutation',
      path: procedureOf(request) ?? undefined,
      input: undefined,
      ctx: undefined,
    });
    return reply
      .code(getHTTPStatusCodeFromError(error))
      .header('retry-after', String(wait))
      .header('cache-control', 'no-store')
      .type('application/json')
      .send(JSON.stringify(transformTRPCResponse(config, { error: shape })));
  }

  return {
    /** An `onRequest` hook: lets an upload through, or answers it at once. */
    async onRequest(request: FastifyRequest, reply: FastifyReply) {
      const procedure = procedureOf(request);
      if (request.method !== 'POST' || procedure === null || !UPLOAD_PROCEDURES.has(procedure)) {
        return;
      }
      const key = credentialOf(request) ?? `address ${request.ip}`;
      const mine = perKey.get(key) ?? 0;
      // `request.ip` is the forwarded client's when TRUST_PROXY says to believe the proxy.
      const address = exempted.has(request.ip) ? null : request.ip;
      const fromAddress = address === null ? 0 : (perIp.get(address) ?? 0);
      if (mine >= perClient) {
        const wait = retryAfterSeconds();
        const cause = new TooManyRequestsError(PostMessages.uploadsInProgress(mine, wait), wait);
        return refuse(request, reply, cause, wait);
      }
      if (fromAddress >= perAddress) {
        const wait = retryAfterSeconds();
        const cause = new TooManyRequestsError(PostMessages.uploadsFromAddress(wait), wait);
        return refuse(request, reply, cause, wait);
      }
      if (inFlight >= total) {
        const wait = retryAfterSeconds();
        return refuse(
          request,
          reply,
          new ServiceBusyError(PostMessages.serverBusy(wait), wait),
          wait,
        );
      }
      inFlight += 1;
      perKey.set(key, mine + 1);
      if (address !== null) perIp.set(address, fromAddress + 1);
      const started = performance.now();
      // 'close' comes once, when the response is sent or the connection is gone.
      reply.raw.once('close', () => {
        inFlight -= 1;
        const left = (perKey.get(key) ?? 1) - 1;
        if (left > 0) perKey.set(key, left);
        else perKey.delete(key);
        if (address !== null) {
          const leftHere = (perIp.get(address) ?? 1) - 1;
          if (leftHere > 0) perIp.set(address, leftHere);
          else perIp.delete(address);
        }
        averageMs = 0.8 * averageMs + 0.2 * (performance.now() - started);
      });
    },
    /** Uploads in flight now, in all and for one credential key (tests wait on these). */
    load(key?: string) {
      return { total: inFlight, mine: key === undefined ? 0 : (perKey.get(key) ?? 0) };
    },
  };
}
export type UploadGate = ReturnType<typeof createUploadGate>;
