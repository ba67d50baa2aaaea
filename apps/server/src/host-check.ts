import { isIP } from 'node:net';
import type { FastifyReply, FastifyRequest } from 'fastify';

export interface HostCheckOptions {
  /** `PUBLIC_ORIGIN`: its host name is ours. */
  publicOrigin?: string | undefined;
  /** More host names that are ours (`ALLOWED_HOSTS`), e.g. the listen host when it is a name. */
  allowedHosts?: readonly string[] | undefined;
}

/** The name part of a `Host` header, lower case, without the port: `[::1]:3000` → `[::1]`. */
export function hostName(host: string): string {
  const value = host.trim().toLowerCase();
  if (value.startsWith('[')) {
    const end = value.indexOf(']');
    return end === -1 ? value : value.slice(0, end + 1);
  }
  const colon = value.indexOf(':');
  return (colon === -1 ? value : value.slice(0, colon)).replace(/\.$/, '');
}

function isIpLiteral(name: string): boolean {
  return isIP(name.startsWith('[') ? name.slice(1, -1) : name) !== 0;
}

/**
 * Whether a request for this host name is for us. DNS rebinding points a name the
 * attacker owns at our address, so that the victim's browser treats us as the attacker's
 * origin: the `Host` (and `Origin`) then carry the attacker's name. A name is ours only
 * when configured (`PUBLIC_ORIGIN`, `ALLOWED_HOSTS`) or `localhost`. An IP literal cannot
 * be rebound (the page's origin is then that address itself), and it is what load
 * balancers' probes and people on the local network use, so any is accepted.
 */
export function createHostCheck(options: HostCheckOptions = {}): (host: string) => boolean {
  const names = new Set<string>(['localhost']);
  if (options.publicOrigin) names.add(hostName(new URL(options.publicOrigin).host));
  for (const host of options.allowedHosts ?? []) names.add(hostName(host));
  return (host) => {
    // HTTP/1.0 may send none; no browser does, so it cannot be a rebinding.
    if (host === '') return true;
    const name = hostName(host);
    return names.has(name) || isIpLiteral(name);
  };
}

/**
 * An `onRequest` hook answering 421 Misdirected Request, with a sentence, to any request
 * for a host name that is not ours (see `createHostCheck`). Health probes are checked
 * too: they come by IP, which passes.
 */
export function hostCheckHook(options: HostCheckOptions = {}) {
  const isOurs = createHostCheck(options);
  return async (request: FastifyRequest, reply: FastifyReply) => {
    if (isOurs(request.host)) return;
    return reply
      .code(421)
      .header('connection', 'close')
      .type('text/plain; charset=utf-8')
      .send('This server does not answer for that host name. Check the address you typed.\n');
  };
}
